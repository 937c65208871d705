/** `completion bash|zsh`: shell completion of the commands and each one's flags, made from the commands themselves. */
import { ArgumentError } from '../errors';
import type { Command } from './command';

/** The completion command for `commands` (main.ts passes every command, this one included). */
export function completionCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'completion',
    flags: [],
    help: `Usage: meshfleet completion bash|zsh

Prints a completion script for the shell: the commands and each command's flags.
  bash:  source <(meshfleet completion bash)      (or save it under bash-completion's folder)
  zsh:   source <(meshfleet completion zsh)       (in ~/.zshrc)

  -h, --help       show this help`,
    async run(args, _options, { out }) {
      const shell = args[0];
      if (args.length !== 1 || (shell !== 'bash' && shell !== 'zsh')) throw new ArgumentError('completion needs the shell: bash or zsh', 'completion');
      const all = commands();
      const cases = all.map((c) => `    ${c.name}) opts="${[...c.flags.map((f) => `--${f}`), '--help'].join(' ')}" ;;`);
      const script = [
        '# meshfleet shell completion (meshfleet completion ' + shell + ')',
        ...(shell === 'zsh' ? ['autoload -U +X bashcompinit && bashcompinit'] : []),
        '_meshfleet() {',
        '  local cur="${COMP_WORDS[COMP_CWORD]}" opts',
        '  if [ "$COMP_CWORD" -eq 1 ]; then',
        `    COMPREPLY=($(compgen -W "${[...all.map((c) => c.name), 'helm-template', '--help', '--version'].join(' ')}" -- "$cur"))`,
        '    return',
        '  fi',
        '  case "${COMP_WORDS[1]}" in',
        ...cases,
        '    helm-template) opts="--fleet --charts --kube-version --help" ;;',
        '    *) opts="" ;;',
        '  esac',
        '  COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        '}',
        'complete -o default -F _meshfleet meshfleet',
      ];
      out(script.join('\n'));
      return 0;
    },
  };
}
