using NpgsqlTypes;

namespace FaceService.Storage;

/// <summary>
/// One request's terms with the database, set by the API when the request starts and seen by every store call made
/// for it (an async-local value): whether its reads may go to a standby, the WAL position they must see (the client's
/// consistency token, raised by the request's own writes), and, for the answer, the position of its last write (the
/// token to hand back) and which server served its reads. Outside a request (start-up, background jobs) there is none,
/// and every call goes to the primary.
/// </summary>
public sealed class ConsistencyScope
{
    private static readonly AsyncLocal<ConsistencyScope?> CurrentScope = new();
    private readonly Lock _lock = new();

    private ConsistencyScope(bool standbyReads, NpgsqlLogSequenceNumber? readAfter)
    {
        StandbyReads = standbyReads;
        ReadAfter = readAfter;
    }

    public static ConsistencyScope? Current => CurrentScope.Value;

    /// <summary>Starts the scope of the calling request (its async flow and everything it awaits).</summary>
    public static ConsistencyScope Begin(bool standbyReads, NpgsqlLogSequenceNumber? readAfter)
    {
        var scope = new ConsistencyScope(standbyReads, readAfter);
        CurrentScope.Value = scope;
        return scope;
    }

    public bool StandbyReads { get; }

    /// <summary>Reads are served by a standby only once it has replayed this far.</summary>
    public NpgsqlLogSequenceNumber? ReadAfter { get; private set; }

    /// <summary>The primary's WAL position after this request's last committed write, if it wrote.</summary>
    public NpgsqlLogSequenceNumber? Written { get; private set; }

    /// <summary>The role of the server that served this request's last read routed by the scope (multi-host only).</summary>
    public DatabaseRole? ReadFrom { get; private set; }

    internal void RecordWrite(NpgsqlLogSequenceNumber position)
    {
        lock (_lock)
        {
            if (Written is not { } written || position > written) Written = position;
            if (ReadAfter is not { } after || position > after) ReadAfter = position;
        }
    }

    internal void RecordRead(DatabaseRole role)
    {
        lock (_lock) ReadFrom = role;
    }
}
