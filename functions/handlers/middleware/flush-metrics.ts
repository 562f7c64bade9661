import type middy from '@middy/core';
import type { MetricsSink } from '../../core/ports.ts';

/** Writes the invocation's metrics when it ends, whether it succeeded or threw. */
export function flushMetrics(metrics: MetricsSink): middy.MiddlewareObj {
  const flush = async () => {
    metrics.flush();
  };
  return { after: flush, onError: flush };
}
