using System.Net.Sockets;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage;

/// <summary>Tells "the database cannot be reached right now" (→ 503, retry later) from every other database error.</summary>
internal static class StoreErrors
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // Class 08: connection exceptions; 57P01..57P03: shutdown / crash / cannot connect now; 53300: too many connections.
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("57P0", StringComparison.Ordinal)
                                || pg.SqlState == PostgresErrorCodes.TooManyConnections,
        // Socket/IO failures and timeouts (connect timeout, command timeout, pool exhausted) surface as NpgsqlException.
        NpgsqlException npg => npg.InnerException is SocketException or IOException or TimeoutException || npg.IsTransient,
        SocketException => true,
        _ => false,
    };

    /// <summary>
    /// The server went away under an open connection (shut down, crashed, the network dropped): the pool's other idle
    /// connections to it are as dead. Not a timeout or "too many connections", where the pool is healthy.
    /// </summary>
    public static bool IsConnectionLost(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P0", StringComparison.Ordinal),
        NpgsqlException npg => npg.InnerException is SocketException or IOException,
        SocketException => true,
        _ => false,
    };

    public static StoreUnavailableException Unavailable(Exception inner) =>
        new($"The face database is unavailable: {inner.Message}", inner);
}
