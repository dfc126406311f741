using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FaceService.Core.Embeddings;

namespace FaceService.Core.Search;

/// <summary>
/// An HNSW graph (Malkov and Yashunin, 2018) over subjects' templates held in process as 128-byte codes, searched by
/// cosine distance with exact integer dot products. It answers candidates, not the final order: the caller re-ranks
/// them on the stored templates. A subject whose code changes gets a new node; the old node, like a removed subject's,
/// stays in the graph as a route but never in an answer (<see cref="RemovedNodes"/> tells when a rebuild pays).
/// Searches run concurrently with each other; a write takes the graph alone.
/// </summary>
public sealed class SubjectGraph
{
    private const int Dimensions = EmbeddingQuantizer.Dimensions;
    private const int MaxLevel = 16;

    private readonly int _m;
    private readonly int _m0;
    private readonly int _efConstruction;
    private readonly double _levelFactor;
    private readonly Random _random;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _nodeOf = new(StringComparer.Ordinal);

    // Per node its code and, right after it, the inverse of the code's norm: one memory region per distance.
    private const int RecordBytes = Dimensions + sizeof(float);
    private sbyte[] _records = [];
    // Layer 0: per node its neighbour count, then up to m0 neighbours. Upper layers (1 node in m has any): per node
    // and level above 0, the count and up to m neighbours.
    private int[] _links0 = [];
    private int[]?[] _upperLinks = [];
    private string?[] _subjectOf = [];
    private int _nodes;
    private int _entry = -1;
    private int _topLevel = -1;

    /// <param name="m">Neighbours per node (2·m on the bottom layer).</param>
    /// <param name="efConstruction">Candidate list size while inserting.</param>
    /// <param name="seed">Seed of the level draws: the same inserts give the same graph.</param>
    public SubjectGraph(int m = 16, int efConstruction = 100, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(efConstruction, m);
        _m = m;
        _m0 = 2 * m;
        _efConstruction = efConstruction;
        _levelFactor = 1 / Math.Log(m);
        _random = new Random(seed);
    }

    /// <summary>Subjects in the graph.</summary>
    public int Count { get { _lock.EnterReadLock(); try { return _nodeOf.Count; } finally { _lock.ExitReadLock(); } } }

    /// <summary>Nodes kept only as routes: removed subjects and the old codes of changed ones.</summary>
    public int RemovedNodes { get { _lock.EnterReadLock(); try { return _nodes - _nodeOf.Count; } finally { _lock.ExitReadLock(); } } }

    /// <summary>Bytes held by codes, norms and links (the subjects' names not counted).</summary>
    public long MemoryBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                long upper = 0;
                for (var node = 0; node < _nodes; node++) upper += _upperLinks[node]?.Length ?? 0;
                return (long)_nodes * (RecordBytes + (_m0 + 1) * sizeof(int) + IntPtr.Size) + upper * sizeof(int);
            }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>The subjects in the graph, as of now.</summary>
    public IReadOnlyList<string> Subjects()
    {
        _lock.EnterReadLock();
        try { return _nodeOf.Keys.ToList(); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Adds the subject or moves it to a new code; false when it already has this code.</summary>
    public bool Upsert(string subject, ReadOnlySpan<sbyte> code)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (code.Length != Dimensions) throw new ArgumentException($"A code has {Dimensions} bytes.", nameof(code));
        var selfDot = CodeDot.Of(code, code);
        if (selfDot == 0) throw new ArgumentException("A code of all zeros stands for no direction.", nameof(code));
        _lock.EnterWriteLock();
        try
        {
            if (_nodeOf.TryGetValue(subject, out var old))
            {
                if (code.SequenceEqual(CodeOf(old))) return false;
                _subjectOf[old] = null;
            }
            var node = NewNode(subject, code, 1 / MathF.Sqrt(selfDot));
            _nodeOf[subject] = node;
            Link(node);
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Takes the subject out of every answer; false when it was not in the graph.</summary>
    public bool Remove(string subject)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_nodeOf.Remove(subject, out var node)) return false;
            _subjectOf[node] = null;
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Up to <paramref name="count"/> subjects nearest the code, nearest first, from a walk keeping <paramref name="ef"/> candidates.</summary>
    public IReadOnlyList<string> Nearest(ReadOnlySpan<sbyte> code, int count, int ef)
    {
        if (code.Length != Dimensions) throw new ArgumentException($"A code has {Dimensions} bytes.", nameof(code));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var selfDot = CodeDot.Of(code, code);
        if (selfDot == 0) throw new ArgumentException("A code of all zeros stands for no direction.", nameof(code));
        var query = new Query(code.ToArray(), 1 / MathF.Sqrt(selfDot));
        _lock.EnterReadLock();
        try
        {
            if (_entry < 0) return [];
            var entry = Descend(query, _entry, _topLevel, 1);
            var found = SearchLayer(query, [entry], Math.Max(ef, count), 0, routesInAnswer: false);
            var subjects = new List<string>(Math.Min(count, found.Count));
            foreach (var (node, _) in found)
            {
                if (subjects.Count == count) break;
                subjects.Add(_subjectOf[node]!);
            }
            return subjects;
        }
        finally { _lock.ExitReadLock(); }
    }

    private readonly record struct Query(sbyte[] Code, float InverseNorm);

    private ReadOnlySpan<sbyte> CodeOf(int node) => _records.AsSpan(node * RecordBytes, Dimensions);

    private float InverseNormOf(int node) => Unsafe.ReadUnaligned<float>(ref Unsafe.As<sbyte, byte>(ref _records[node * RecordBytes + Dimensions]));

    private Query QueryOf(int node) => new(CodeOf(node).ToArray(), InverseNormOf(node));

    private float Distance(in Query query, int node) =>
        1f - CodeDot.Of(query.Code, CodeOf(node)) * query.InverseNorm * InverseNormOf(node);

    private float Distance(int a, int b) => 1f - CodeDot.Of(CodeOf(a), CodeOf(b)) * InverseNormOf(a) * InverseNormOf(b);

    /// <summary>Asks the CPU for a node's record ahead of its distance: the walk waits on memory, not on arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Prefetch(int node)
    {
        if (!Sse.IsSupported) return;
        fixed (sbyte* record = &_records[node * RecordBytes])
        {
            Sse.Prefetch0(record);
            Sse.Prefetch0(record + 64);
            Sse.Prefetch0(record + RecordBytes - 1);
        }
    }

    private int NewNode(string subject, ReadOnlySpan<sbyte> code, float inverseNorm)
    {
        if (_nodes == _subjectOf.Length)
        {
            var capacity = Math.Max(1024, _nodes * 2);
            Array.Resize(ref _records, capacity * RecordBytes);
            Array.Resize(ref _links0, capacity * (_m0 + 1));
            Array.Resize(ref _upperLinks, capacity);
            Array.Resize(ref _subjectOf, capacity);
        }
        var node = _nodes++;
        code.CopyTo(_records.AsSpan(node * RecordBytes, Dimensions));
        Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref _records[node * RecordBytes + Dimensions]), inverseNorm);
        _links0[node * (_m0 + 1)] = 0;
        var level = Math.Min(MaxLevel, (int)(-Math.Log(1 - _random.NextDouble()) * _levelFactor));
        _upperLinks[node] = level == 0 ? null : new int[level * (_m + 1)];
        _subjectOf[node] = subject;
        return node;
    }

    private int LevelOf(int node) => (_upperLinks[node]?.Length ?? 0) / (_m + 1);

    /// <summary>The neighbours of a node on a level, as a span whose first element is their count.</summary>
    private Span<int> LinksOf(int node, int level) => level == 0
        ? _links0.AsSpan(node * (_m0 + 1), _m0 + 1)
        : _upperLinks[node].AsSpan((level - 1) * (_m + 1), _m + 1);

    private void Link(int node)
    {
        var level = LevelOf(node);
        if (_entry < 0)
        {
            (_entry, _topLevel) = (node, level);
            return;
        }
        var query = QueryOf(node);
        var entry = Descend(query, _entry, _topLevel, level + 1);
        List<int> entries = [entry];
        for (var l = Math.Min(level, _topLevel); l >= 0; l--)
        {
            var found = SearchLayer(query, entries, _efConstruction, l, routesInAnswer: true);
            var chosen = Diverse(found, _m);
            var links = LinksOf(node, l);
            links[0] = chosen.Count;
            for (var i = 0; i < chosen.Count; i++) links[i + 1] = chosen[i];
            foreach (var neighbour in chosen) LinkBack(neighbour, node, l);
            entries = found.ConvertAll(f => f.Node);
        }
        if (level > _topLevel) (_entry, _topLevel) = (node, level);
    }

    /// <summary>Adds the new node to a neighbour's list; a full list keeps the most diverse of its nodes and the new one.</summary>
    private void LinkBack(int neighbour, int node, int level)
    {
        var links = LinksOf(neighbour, level);
        var capacity = links.Length - 1;
        if (links[0] < capacity)
        {
            links[++links[0]] = node;
            return;
        }
        var candidates = new List<(int Node, float Distance)>(capacity + 1) { (node, Distance(neighbour, node)) };
        for (var i = 1; i <= capacity; i++) candidates.Add((links[i], Distance(neighbour, links[i])));
        candidates.Sort((a, b) => a.Distance.CompareTo(b.Distance));
        var kept = Diverse(candidates, capacity, fill: level == 0);
        links[0] = kept.Count;
        for (var i = 0; i < kept.Count; i++) links[i + 1] = kept[i];
    }

    /// <summary>
    /// The paper's neighbour heuristic: nearest first, a candidate kept only when it is nearer to the base than to every
    /// node kept before it, so that the links point in different directions.
    /// </summary>
    private List<int> Diverse(List<(int Node, float Distance)> sortedCandidates, int max, bool fill = false)
    {
        var kept = new List<int>(max);
        List<int>? passedOver = fill ? [] : null;
        foreach (var (candidate, distance) in sortedCandidates)
        {
            if (kept.Count == max) break;
            var diverse = true;
            foreach (var other in kept)
            {
                if (Distance(candidate, other) < distance) { diverse = false; break; }
            }
            if (diverse) kept.Add(candidate);
            else passedOver?.Add(candidate);
        }
        for (var i = 0; passedOver is not null && kept.Count < max && i < passedOver.Count; i++) kept.Add(passedOver[i]);
        return kept;
    }

    /// <summary>Greedy walk from the top level down to <paramref name="toLevel"/>: the nearest node found.</summary>
    private int Descend(in Query query, int entry, int fromLevel, int toLevel)
    {
        var best = entry;
        var bestDistance = Distance(query, entry);
        for (var level = fromLevel; level >= toLevel; level--)
        {
            for (var moved = true; moved;)
            {
                moved = false;
                var links = LinksOf(best, level);
                for (var i = 1; i <= links[0]; i++)
                {
                    var distance = Distance(query, links[i]);
                    if (distance < bestDistance) (best, bestDistance, moved) = (links[i], distance, true);
                }
            }
        }
        return best;
    }

    /// <summary>
    /// The best-first search of one level: the <paramref name="ef"/> nearest nodes reached, nearest first. Nodes kept
    /// only as routes are walked through but, unless <paramref name="routesInAnswer"/>, never answered.
    /// </summary>
    private List<(int Node, float Distance)> SearchLayer(in Query query, List<int> entries, int ef, int level, bool routesInAnswer)
    {
        var visited = VisitedNodes.Begin(_nodes);
        var candidates = new PriorityQueue<int, float>();
        var answer = new PriorityQueue<int, float>(); // farthest first (negated distances)
        var farthest = float.PositiveInfinity;
        foreach (var entry in entries)
        {
            if (!visited.Add(entry)) continue;
            var distance = Distance(query, entry);
            candidates.Enqueue(entry, distance);
            if (routesInAnswer || _subjectOf[entry] is not null) Keep(entry, distance);
        }
        Span<int> reached = stackalloc int[_m0];
        while (candidates.TryDequeue(out var current, out var currentDistance))
        {
            if (answer.Count >= ef && currentDistance > farthest) break;
            var links = LinksOf(current, level);
            var count = 0;
            for (var i = 1; i <= links[0]; i++)
            {
                if (!visited.Add(links[i])) continue;
                reached[count++] = links[i];
                Prefetch(links[i]);
            }
            foreach (var neighbour in reached[..count])
            {
                var distance = Distance(query, neighbour);
                if (answer.Count >= ef && distance >= farthest) continue;
                candidates.Enqueue(neighbour, distance);
                if (routesInAnswer || _subjectOf[neighbour] is not null) Keep(neighbour, distance);
            }
        }
        var found = new List<(int Node, float Distance)>(answer.Count);
        while (answer.TryDequeue(out var node, out var negated)) found.Add((node, -negated));
        found.Reverse();
        return found;

        void Keep(int node, float distance)
        {
            answer.Enqueue(node, -distance);
            if (answer.Count > ef) answer.Dequeue();
            farthest = answer.Count >= ef && answer.TryPeek(out _, out var worst) ? -worst : float.PositiveInfinity;
        }
    }

    /// <summary>Per-thread marks of the nodes one search has reached, cleared by a new generation number.</summary>
    private sealed class VisitedNodes
    {
        [ThreadStatic] private static VisitedNodes? t_current;
        // 2 bytes a node: the marks of a million-node graph stay in the CPU's caches longer.
        private ushort[] _marks = [];
        private ushort _generation;

        public static VisitedNodes Begin(int nodes)
        {
            var visited = t_current ??= new VisitedNodes();
            if (visited._marks.Length < nodes)
            {
                visited._marks = new ushort[Math.Max(nodes, visited._marks.Length * 2)];
                visited._generation = 0;
            }
            if (++visited._generation == ushort.MaxValue)
            {
                Array.Clear(visited._marks);
                visited._generation = 1;
            }
            return visited;
        }

        /// <summary>False when the node was reached before in this search.</summary>
        public bool Add(int node)
        {
            if (_marks[node] == _generation) return false;
            _marks[node] = _generation;
            return true;
        }
    }
}
