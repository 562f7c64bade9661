import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE, type MetricPoint } from '../../core/metrics.ts';
import type { MetricsSink } from '../../core/ports.ts';

/**
 * Metrics in CloudWatch's embedded metric format through Powertools: written to the function's log
 * (no API call, no latency), extracted by CloudWatch into namespace EC2AutoRemediation.
 */
export class PowertoolsMetrics implements MetricsSink {
  private readonly metrics: Metrics;
  private stored = 0;

  constructor(metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE })) {
    this.metrics = metrics;
  }

  record(point: MetricPoint): void {
    const unit = point.unit === 'Milliseconds' ? MetricUnit.Milliseconds : MetricUnit.Count;
    if (point.dimensions) {
      // A metric with dimensions of its own is written at once, apart from the invocation's others.
      const single = this.metrics.singleMetric();
      single.addDimensions({ ...point.dimensions });
      single.addMetric(point.name, unit, point.value);
      return;
    }
    this.metrics.addMetric(point.name, unit, point.value);
    this.stored += 1;
  }

  flush(): void {
    if (this.stored === 0) return;
    this.stored = 0;
    this.metrics.publishStoredMetrics();
  }
}
