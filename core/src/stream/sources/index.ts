/** The source for a streaming step's mode. */
import type { StreamSpec } from '../../config/stream-spec.js';
import { EventSource } from './event.js';
import { FileWatchSource } from './file-watch.js';
import { IncrementalSource } from './incremental.js';
import { IntervalSource } from './interval.js';
import { NatsSource } from './nats.js';
import { RedisSource } from './redis.js';
import type { SourceContext, StreamSource } from './source.js';

export function createSource(ctx: SourceContext, spec: StreamSpec): StreamSource {
  switch (spec.mode) {
    case 'file_watch': return new FileWatchSource(ctx, spec);
    case 'incremental': return new IncrementalSource(ctx, spec);
    case 'interval': return new IntervalSource(ctx, spec);
    case 'event': return new EventSource(ctx, spec);
    case 'redis': return new RedisSource(ctx, spec);
    case 'nats': return new NatsSource(ctx, spec);
  }
}

export { EventSource };
