import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmStateValue } from '../../core/alarm.ts';
import type { AlarmReader } from '../../core/ports.ts';
import { type ClientSource, clientOf, cloudWatchSdk } from './sdk-modules.ts';

/** Reads an alarm's state with DescribeAlarms; used only at verify deadlines, never per event. */
export class CloudWatchAlarmReader implements AlarmReader {
  private readonly client: ClientSource<CloudWatchClient>;

  constructor(client: ClientSource<CloudWatchClient>) {
    this.client = client;
  }

  async state(alarmName: string): Promise<AlarmStateValue | undefined> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.client)]);
    const output = await client.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const alarm = output.MetricAlarms?.[0] ?? output.CompositeAlarms?.[0];
    return alarm?.StateValue as AlarmStateValue | undefined;
  }
}
