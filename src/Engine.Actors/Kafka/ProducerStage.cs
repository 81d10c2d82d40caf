using Akka.Event;
using Error = Confluent.Kafka.Error;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// Sends each envelope's records and emits its result once all are acknowledged, in input order, with at most
/// <see cref="KafkaProducerSettings.Parallelism"/> records in flight; while librdkafka's queue is full (its bytes or its
/// message count) the rest of an envelope waits for deliveries, and nothing more is pulled. A failed delivery fails the stage.
/// </summary>
internal sealed class ProducerStage<TPass>(KafkaProducerSettings settings)
    : GraphStage<FlowShape<IProducerEnvelope<TPass>, ProducerResult<TPass>>>
{
    private readonly Inlet<IProducerEnvelope<TPass>> _in = new("kafka.producer.in");
    private readonly Outlet<ProducerResult<TPass>> _out = new("kafka.producer.out");
    private readonly KafkaProducerSettings _settings = settings;

    public override FlowShape<IProducerEnvelope<TPass>, ProducerResult<TPass>> Shape => new(_in, _out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ProducerStage<TPass> _stage;
        // Concurrent: the node's monitor reads the oldest unacknowledged envelope from its own thread (DeliveryWatch).
        private readonly System.Collections.Concurrent.ConcurrentQueue<PendingEnvelope<TPass>> _inFlight = new();
        private IDisposable? _watched;
        private readonly WakeUp _wakeUp = new();
        private readonly Action<Error> _onError;
        private IProducer<byte[], byte[]>? _producer;
        private Error? _error;
        private int _inFlightRecords;
        // The envelope whose records are being sent (librdkafka's queue was full), and its next record.
        private PendingEnvelope<TPass>? _sending;
        private int _sendingNext;
        private int _refusedWithNothingQueued;

        public Logic(ProducerStage<TPass> stage) : base(stage.Shape)
        {
            _stage = stage;
            _onError = error => { Interlocked.CompareExchange(ref _error, error, null); _wakeUp.Signal(); };
            SetHandler(stage._in, this);
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _wakeUp.Attach(GetAsyncCallback(Emit));
            var log = Log;
            var config = _stage._settings.ToProducerConfig();
            // A delivery report is read for its error, topic, partition and offset only: the message's fields are not marshalled back.
            if (config.Get("dotnet.producer.delivery.report.fields") is null) config.DeliveryReportFields = "none";
            _producer = new ProducerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) =>
                {
                    if (e.IsFatal) _onError(e);
                    else log.Warning("Kafka producer: {0}", e.Reason);
                })
                .Build();
            _watched = _stage._settings.Watch?.Watch(OldestUnacknowledged);
            Pull(_stage._in);
        }

        /// <summary>The oldest envelope sent and not acknowledged (one done but held back by a busy downstream waits for nothing of Kafka).</summary>
        private long? OldestUnacknowledged()
        {
            foreach (var pending in _inFlight)
                if (!pending.Done) return pending.SentAt;
            return null;
        }

        public override void OnPush()
        {
            var envelope = Grab(_stage._in);
            var pending = new PendingEnvelope<TPass>(envelope, _onError, _wakeUp);
            _inFlight.Enqueue(pending);
            _inFlightRecords += envelope.Count;
            (_sending, _sendingNext) = (pending, 0);
            Send();
            PullIfRoom();
            Emit();
        }

        /// <summary>
        /// Sends what is left of the envelope being sent. librdkafka's queue full (its message count or its bytes, 1 GiB by
        /// default: a burst of dead letters of oversized records, ~700 KB each, fills it long before the records bound does)
        /// holds the rest until deliveries make room, with nothing more pulled meanwhile: before 2026-12-07 it failed the
        /// stage, and the run restarted into the same backlog and failed again (review).
        /// </summary>
        private void Send()
        {
            if (_sending is not { } pending) return;
            var envelope = pending.Envelope;
            while (_sendingNext < envelope.Count)
            {
                if (!TryProduce(pending, _sendingNext))
                {
                    // Arm, then try once more: a delivery between the refusal and the arm made room and would not wake us.
                    _wakeUp.Arm();
                    if (!TryProduce(pending, _sendingNext))
                    {
                        // Refused with nothing of this stage waiting for a report, for a second: a record the queue can never take.
                        if (pending.Reported == _sendingNext && _inFlight.All(p => p == pending || p.Done))
                        {
                            if (++_refusedWithNothingQueued >= 20)
                                throw new ProduceException<byte[], byte[]>(new Error(ErrorCode.Local_QueueFull,
                                    "librdkafka's queue refuses a record while it holds nothing of this stage: raise queue.buffering.max.kbytes"),
                                    new DeliveryResult<byte[], byte[]>());
                        }
                        else _refusedWithNothingQueued = 0;
                        // A report's space is freed only after its callback returns: the last one may wake us too soon. Look again shortly.
                        _ = Task.Delay(50).ContinueWith(_ => _wakeUp.Signal(), TaskScheduler.Default);
                        return;
                    }
                }
                _refusedWithNothingQueued = 0;
                _sendingNext++;
            }
            _sending = null;
        }

        /// <summary>Produces the envelope's record at <paramref name="index"/>; false when librdkafka's queue is full.</summary>
        private bool TryProduce(PendingEnvelope<TPass> pending, int index)
        {
            try
            {
                if (pending.Envelope is ProducerMessage<TPass> single)
                    _producer!.Produce(single.Topic, new Message<byte[], byte[]> { Key = single.Key!, Value = single.Value!, Headers = ProducerRecord.NoHeaders }, pending.OnSingleReport);
                else
                {
                    var record = pending.Envelope[index];
                    _producer!.Produce(record.Topic, record.ToMessage(), pending.ReportHandler(index));
                }
                return true;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                return false;
            }
        }

        public override void OnUpstreamFinish()
        {
            if (_inFlight.Count == 0) CompleteStage();
        }

        public override void OnPull() => Emit();

        private void PullIfRoom()
        {
            if (_sending is null && _inFlightRecords < _stage._settings.Parallelism && _inFlight.Count < _stage._settings.MaxInFlightEnvelopes
                && !HasBeenPulled(_stage._in) && !IsClosed(_stage._in))
                Pull(_stage._in);
        }

        private void Emit()
        {
            if (Failed()) return;
            if (_sending is not null)
            {
                Send();
                PullIfRoom();
            }
            if (IsAvailable(_stage._out) && _inFlight.TryPeek(out var head))
            {
                _wakeUp.Arm();
                if (!head.Done) return;
                // Read again once done: a failed report sets the error before it completes the envelope, and may have
                // landed since the check above; the envelope must not pass on as delivered (its offsets would be committed).
                if (Failed()) return;
                _inFlight.TryDequeue(out _);
                _inFlightRecords -= head.Envelope.Count;
                Push(_stage._out, head.Result);
                PullIfRoom();
            }
            if (_inFlight.Count == 0 && IsClosed(_stage._in)) CompleteStage();
        }

        private bool Failed()
        {
            if (Volatile.Read(ref _error) is not { } error) return false;
            FailStage(new ProduceException<byte[], byte[]>(error, new DeliveryResult<byte[], byte[]>()));
            return true;
        }

        public override void PostStop()
        {
            _watched?.Dispose();
            // Disposing can block briefly (librdkafka joins its threads): not on a stream thread.
            if (_producer is { } producer) _ = Task.Run(producer.Dispose);
        }
    }
}
