import { describe, expect, it } from 'vitest';
import { effectiveDependencies, STAGES, type StageName } from '../../lib/contracts/stages';

const all = new Set<StageName>(STAGES.map((s) => s.name));

describe('effectiveDependencies', () => {
  it('uses the declared dependency when it exists', () => {
    expect(effectiveDependencies('mesh', all)).toEqual(['mesh-prereqs']);
  });

  it('skips through missing stages to their own dependencies', () => {
    const present = new Set<StageName>(['infrastructure', 'mesh-prereqs', 'mesh']);
    expect(effectiveDependencies('mesh-prereqs', present)).toEqual(['infrastructure']);
    expect(effectiveDependencies('apps', new Set<StageName>(['mesh', 'apps']))).toEqual(['mesh']);
  });

  it('the first stage depends on nothing', () => {
    expect(effectiveDependencies('infrastructure', all)).toEqual([]);
    expect(effectiveDependencies('mesh-prereqs', new Set<StageName>(['mesh-prereqs']))).toEqual([]);
  });

  it('declares dependencies only on earlier stages', () => {
    STAGES.forEach((s, i) => {
      for (const dep of s.dependsOn) expect(STAGES.findIndex((x) => x.name === dep)).toBeLessThan(i);
    });
  });
});
