/**
 * metrics-server where the cluster lacks one (seed 000 §7.2: HPA targets <unknown>; the Istio
 * gateway and istiod charts create HPAs). `--kubelet-insecure-tls` is added only when fleet.yaml
 * asks for it: upstream calls it "for testing purposes only" (README: the safer alternative).
 */
import { HelmChart, HelmRepo } from '../gitops/flux';
import type { ClusterPlan } from '../plan';

const NAMESPACE = 'kube-system';
const CHARTS = 'https://kubernetes-sigs.github.io/metrics-server/';

export function addMetricsServer(plan: ClusterPlan): void {
  const ms = plan.cluster.metricsServer;
  if (!ms?.install) return;
  const infra = plan.stage('infrastructure');
  new HelmRepo(infra, 'metrics-server-charts', { name: 'metrics-server', namespace: NAMESPACE, url: CHARTS });
  const args = [...(ms.kubeletInsecureTLS ? ['--kubelet-insecure-tls'] : []), ...ms.args];
  new HelmChart(infra, 'metrics-server', {
    name: 'metrics-server', namespace: NAMESPACE, repository: 'metrics-server', chart: 'metrics-server', version: ms.version,
    values: args.length > 0 ? { args } : {},
  });
}
