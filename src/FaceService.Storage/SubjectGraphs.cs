using System.Collections.Concurrent;
using FaceService.Core.Search;

namespace FaceService.Storage;

/// <summary>
/// The in-process search graphs of this process's large galleries (collection and model), kept by
/// <see cref="SubjectGraphSync"/> and used by <see cref="PgFaceSearch"/>. Empty where no sync runs (the CLI, tools):
/// every search then goes to the database's HNSW index.
/// </summary>
public sealed class SubjectGraphs
{
    private readonly ConcurrentDictionary<(string Collection, string Model), GalleryGraph> _graphs = new();
    private long _searches;

    /// <summary>The gallery's graph where it is ready to answer: built, and not too far behind the table.</summary>
    internal GalleryGraph? Ready(string collection, string model) =>
        _graphs.TryGetValue((collection, model), out var graph) && !graph.Behind ? graph : null;

    internal IReadOnlyCollection<(string Collection, string Model)> Galleries => _graphs.Keys.ToList();

    internal bool TryGet(string collection, string model, out GalleryGraph graph) => _graphs.TryGetValue((collection, model), out graph!);

    internal void Set(string collection, string model, GalleryGraph graph) => _graphs[(collection, model)] = graph;

    internal void Remove(string collection, string model) => _graphs.TryRemove((collection, model), out _);

    /// <summary>Subjects held in process, over every gallery (logged and exported as a metric by the host).</summary>
    public long Subjects => _graphs.Values.Sum(g => (long)g.Graph.Count);

    /// <summary>Searches answered through a graph since start.</summary>
    public long Searches => Interlocked.Read(ref _searches);

    internal void CountSearch() => Interlocked.Increment(ref _searches);

    /// <summary>Bytes of codes and links over every gallery (the subjects' names not counted).</summary>
    public long MemoryBytes => _graphs.Values.Sum(g => g.Graph.MemoryBytes);
}

/// <summary>
/// What a graph holds, as a PostgreSQL snapshot says it: the rows whose writers had committed when it was taken. Every
/// other row was written by a transaction from <see cref="Xmax"/> on or by one of <see cref="InProgress"/>; a search
/// reads those from the table beside the graph's candidates and misses nothing the table holds. (The snapshot's xmin
/// would do as well, but a long transaction anywhere in the cluster holds it back and makes that read grow.)
/// </summary>
internal sealed record GraphSnapshot(ulong Xmax, ulong[] InProgress)
{
    public string XmaxText => Xmax.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string[] InProgressText => InProgress.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>One gallery's graph and the snapshot it holds.</summary>
internal sealed class GalleryGraph(SubjectGraph graph, GraphSnapshot holds)
{
    private GraphSnapshot _holds = holds;

    public SubjectGraph Graph { get; } = graph;

    /// <summary>Moves on only after the rows it adds are in the graph.</summary>
    public GraphSnapshot Holds
    {
        get => Volatile.Read(ref _holds);
        set => Volatile.Write(ref _holds, value);
    }

    /// <summary>Set while more rows wait than a search should read beside the graph; searches then use the database's index.</summary>
    public volatile bool Behind;
}
