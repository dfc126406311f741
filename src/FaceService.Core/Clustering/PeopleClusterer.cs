using System.Numerics.Tensors;
using FaceService.Core.Calibration;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Clustering;

/// <summary>
/// Groups faces into people without a distance cut that must fit every part of the gallery: tight groups first, then
/// groups merged when they stand out from their other neighbours (docs/CLUSTERING.md; measured on lfw-people mixed
/// with lfw-dev: pairwise precision 0.995, recall 0.93).
/// <list type="number">
/// <item>The k nearest neighbours of every face (<see cref="NeighbourGraph"/>); clusters are compared only where some
/// of their faces are neighbours, either way.</item>
/// <item>Tight groups: average linkage (the mean squared distance over the two clusters' pairs, exact from their sums)
/// below <see cref="PeopleClusteringSettings.TightDistance"/>, merging pairs that are each other's nearest, round after round.</item>
/// <item>People: round after round, every cluster judges its candidates by how far each stands out from the others:
/// T = s(A, B) − the mean s of A's nine nearest other candidates, with s = ln FAR of the average-link distance, taken
/// from both sides and averaged. Pairs that are each other's best and beat the threshold of their kind merge: a face
/// and a group need T below −3.0, two groups −2.5; two lone faces never merge here (two strangers are as often alike as
/// one person twice). Two guards: the pair's distance stays below <see cref="PeopleClusteringSettings.MaxDistance"/>, and exceeds the
/// mean spread inside the two clusters by less than <see cref="PeopleClusteringSettings.MaxGap"/> (two compact groups of
/// different people — sisters — stand out from everyone else too).</item>
/// </list>
/// Faces of one photo never share a cluster: a pair that would join them is never a candidate, in either stage.
/// </summary>
public sealed class PeopleClusterer(DistanceCalibration calibration, IOptions<ClusteringOptions> options, PeopleClusteringSettings? settings = null)
{
    private const int Dimensions = EmbeddingQuantizer.Dimensions;
    private readonly ClusteringOptions _options = options.Value;
    private readonly PeopleClusteringSettings _settings = settings ?? new PeopleClusteringSettings();
    private readonly LogRateTable _logRate = new(calibration);

    /// <summary>Clusters the codes; faces with the same non-null photo key never share a cluster.</summary>
    /// <param name="exact">Compare every pair of clusters instead of the neighbour graph's (the reference the graph is measured against).</param>
    public ClusteringResult Cluster(IReadOnlyList<sbyte[]> codes, IReadOnlyList<string?>? photos, CancellationToken cancellationToken,
        bool exact = false)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (photos is not null && photos.Count != codes.Count) throw new ArgumentException("One photo key per code, or none.", nameof(photos));
        var vectors = ClusteringInput.Dequantize(codes);
        if (codes.Count < 2) return ClusteringResult.FromRoots([.. Enumerable.Range(0, codes.Count)]);
        var graph = NeighbourGraph.Build(vectors, Dimensions, exact ? codes.Count - 1 : _options.Neighbours, _options.MaxDegreeOfParallelism, cancellationToken,
            exact ? int.MaxValue : NeighbourGraph.ExactLimit);
        return Cluster(vectors, graph, ClusteringInput.PhotoGroups(photos), cancellationToken);
    }

    /// <summary>The two stages on a neighbour graph already built (the benchmark times the graph apart).</summary>
    public ClusteringResult Cluster(float[] vectors, NeighbourGraph graph, int[]? photoGroups, CancellationToken cancellationToken)
    {
        var state = new State(vectors, graph, photoGroups, _logRate, _settings, _options.MaxDegreeOfParallelism);
        while (state.Round(TightStage, withCohorts: false, cancellationToken) > 0) { }
        if (_settings.SecondStage)
            while (state.Round(PeopleStage, withCohorts: true, cancellationToken) > 0) { }
        return ClusteringResult.FromRoots(state.Roots());
    }

    /// <summary>Stage 1: the pair's average-link distance below <see cref="PeopleClusteringSettings.TightDistance"/>.</summary>
    private double TightStage(State state, int a, Candidates candidates, int index) => candidates.Distance[index] - _settings.TightDistance;

    /// <summary>Stage 2: T against the threshold of the pair's kind, or +∞ where a guard holds the pair apart.</summary>
    private double PeopleStage(State state, int a, Candidates candidates, int index)
    {
        var b = candidates.Root[index];
        var h = candidates.Distance[index];
        var gap = h - (state.Spread(a) + state.Spread(b)) / 2;
        if (h >= _settings.MaxDistance || gap >= _settings.MaxGap) return double.PositiveInfinity;
        var s = state.LogRate[h];
        var t = (s - state.CohortMean(a, b) + s - state.CohortMean(b, a)) / 2;
        var (sizeA, sizeB) = (state.Size(a), state.Size(b));
        var threshold = sizeA == 1 && sizeB == 1 ? _settings.TwoFacesThreshold
            : sizeA == 1 || sizeB == 1 ? _settings.FaceAndGroupThreshold : _settings.TwoGroupsThreshold;
        return t - threshold;
    }

    private delegate double PairScore(State state, int a, Candidates candidates, int index);

    /// <summary>One cluster's candidate clusters this round and their average-link distances.</summary>
    private sealed class Candidates
    {
        public List<int> Root { get; } = [];
        public List<float> Distance { get; } = [];
    }

    /// <summary>
    /// Clusters as union–find roots with their size, sum of unit vectors and members (for clusters of two or more), and
    /// photo groups; per round, each cluster's candidates and nearest-cohort log-rates.
    /// </summary>
    private sealed class State
    {
        private readonly float[] _vectors;
        private readonly PeopleClusteringSettings _settings;
        private readonly int? _parallelism;
        private readonly int[] _parent;
        private readonly int[] _size;
        private readonly Dictionary<int, float[]> _sums = [];
        private readonly Dictionary<int, List<int>> _members = [];
        private readonly Dictionary<int, HashSet<int>> _photos = [];
        // Per root, this round: its candidates, and its cohort (the cohort's number + 1 lowest log-rates, ascending, with their roots).
        private readonly Candidates?[] _candidates;
        private readonly double[] _cohortRates;
        private readonly int[] _cohortRoots;
        private readonly int[] _cohortCount;
        private readonly double[] _largestRate;
        private readonly float[] _spread;
        private readonly LogRateTable _logRate;
        private readonly int[] _adjacency;
        private readonly int[] _adjacencyStart;

        public State(float[] vectors, NeighbourGraph graph, int[]? photoGroups, LogRateTable logRate, PeopleClusteringSettings settings, int? parallelism)
        {
            _vectors = vectors;
            _logRate = logRate;
            _settings = settings;
            _parallelism = parallelism;
            var n = graph.Count;
            _parent = [.. Enumerable.Range(0, n)];
            _size = Enumerable.Repeat(1, n).ToArray();
            _candidates = new Candidates?[n];
            _cohortRates = new double[n * (settings.Cohort + 1)];
            _cohortRoots = new int[n * (settings.Cohort + 1)];
            _cohortCount = new int[n];
            _largestRate = new double[n];
            _spread = new float[n];
            (_adjacency, _adjacencyStart) = Undirected(graph);
            // Only photos with two faces or more can keep faces apart (ClusteringInput.PhotoGroups leaves the rest out).
            if (photoGroups is not null)
                for (var i = 0; i < n; i++)
                    if (photoGroups[i] >= 0) _photos[i] = [photoGroups[i]];
        }

        public int Size(int root) => _size[root];

        public LogRateTable LogRate => _logRate;

        /// <summary>The cluster's spread this round (second stage), worked out once per cluster by <see cref="FillCohort"/>.</summary>
        public float Spread(int root) => _spread[root];

        /// <summary>Mean squared distance between the cluster's faces: (2m² − 2|S|²) / (m(m − 1)); a single face's assumed spread.</summary>
        private float MeanSpread(int root)
        {
            var m = _size[root];
            if (m == 1) return _settings.SingleFaceSpread;
            var sum = _sums[root];
            var squared = TensorPrimitives.Dot<float>(sum, sum);
            return (2f * m * m - 2f * squared) / (m * (m - 1f));
        }

        /// <summary>The mean log-rate of a's nearest other candidates, without b; missing ones count as a's largest.</summary>
        public double CohortMean(int a, int b)
        {
            var cohort = _settings.Cohort;
            var offset = a * (cohort + 1);
            double sum = 0;
            var taken = 0;
            for (var i = 0; i < _cohortCount[a] && taken < cohort; i++)
            {
                if (_cohortRoots[offset + i] == b) continue;
                sum += _cohortRates[offset + i];
                taken++;
            }
            return (sum + (cohort - taken) * _largestRate[a]) / cohort;
        }

        /// <summary>One round: every cluster's best candidate by the score; pairs that are each other's best with a score
        /// below 0 merge. Returns the number of merges.</summary>
        public int Round(PairScore score, bool withCohorts, CancellationToken cancellationToken)
        {
            var roots = Enumerable.Range(0, _parent.Length).Where(i => _parent[i] == i).ToArray();
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _parallelism ?? -1 };
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, roots.Length), parallel, () => new bool[_parent.Length],
                (range, _, seen) =>
                {
                    for (var i = range.Item1; i < range.Item2; i++) Gather(roots[i], seen, withCohorts);
                    return seen;
                }, _ => { });
            var best = new int[_parent.Length];
            Parallel.For(0, roots.Length, parallel, i =>
            {
                var a = roots[i];
                var candidates = _candidates[a]!;
                var (bestRoot, bestScore) = (-1, double.PositiveInfinity);
                for (var c = 0; c < candidates.Root.Count; c++)
                {
                    var b = candidates.Root[c];
                    if (Conflict(a, b)) continue;
                    var value = score(this, a, candidates, c);
                    if (value < bestScore || (value == bestScore && b < bestRoot)) (bestRoot, bestScore) = (b, value);
                }
                best[a] = bestScore < 0 ? bestRoot : -1;
            });
            var merges = 0;
            foreach (var a in roots)
            {
                var b = best[a];
                if (b > a && best[b] == a)
                {
                    Merge(a, b);
                    merges++;
                }
            }
            // Flatten the forest, so that the next round's parallel reads need no path compression.
            for (var i = 0; i < _parent.Length; i++) _parent[i] = _parent[_parent[i]];
            return merges;
        }

        /// <summary>A root's candidates (the clusters of its members' neighbours, either way) and, for the second stage,
        /// its cohort (the cohort's number + 1 lowest log-rates among them: one more, so that any one can be left out)
        /// and its spread.</summary>
        private void Gather(int a, bool[] seen, bool withCohort)
        {
            var candidates = new Candidates();
            seen[a] = true;
            foreach (var member in Members(a))
            {
                for (var e = _adjacencyStart[member]; e < _adjacencyStart[member + 1]; e++)
                {
                    var b = _parent[_adjacency[e]];
                    if (seen[b]) continue;
                    seen[b] = true;
                    candidates.Root.Add(b);
                    candidates.Distance.Add(AverageLink(a, b));
                }
            }
            foreach (var b in candidates.Root) seen[b] = false;
            seen[a] = false;
            _candidates[a] = candidates;
            if (withCohort) FillCohort(a, candidates);
        }

        private void FillCohort(int a, Candidates candidates)
        {
            var rates = _cohortRates.AsSpan(a * (_settings.Cohort + 1), _settings.Cohort + 1);
            var roots = _cohortRoots.AsSpan(a * (_settings.Cohort + 1), _settings.Cohort + 1);
            var count = 0;
            var largest = 0.0;
            for (var c = 0; c < candidates.Root.Count; c++)
            {
                var rate = _logRate[candidates.Distance[c]];
                largest = c == 0 ? rate : Math.Max(largest, rate);
                if (count == rates.Length && rate >= rates[^1]) continue;
                // Insert into the ascending list, dropping its last when full.
                var at = count == rates.Length ? rates.Length - 1 : count++;
                for (; at > 0 && rates[at - 1] > rate; at--) (rates[at], roots[at]) = (rates[at - 1], roots[at - 1]);
                (rates[at], roots[at]) = (rate, candidates.Root[c]);
            }
            _cohortCount[a] = count;
            _largestRate[a] = largest;
            _spread[a] = MeanSpread(a);
        }

        private IEnumerable<int> Members(int root) => _members.TryGetValue(root, out var members) ? members : [root];

        private ReadOnlySpan<float> Sum(int root) => _sums.TryGetValue(root, out var sum) ? sum : _vectors.AsSpan(root * Dimensions, Dimensions);

        /// <summary>Mean squared distance over the pairs of the two clusters: 2 − 2·(S_a · S_b) / (m_a m_b).</summary>
        private float AverageLink(int a, int b) =>
            Math.Clamp(2 - 2 * TensorPrimitives.Dot(Sum(a), Sum(b)) / ((float)_size[a] * _size[b]), 0f, 4f);

        private bool Conflict(int a, int b) =>
            _photos.TryGetValue(a, out var first) && _photos.TryGetValue(b, out var second) && first.Overlaps(second);

        private void Merge(int a, int b)
        {
            var sum = new float[Dimensions];
            TensorPrimitives.Add(Sum(a), Sum(b), sum);
            var members = Members(a).Concat(Members(b)).ToList();
            _sums.Remove(b);
            _members.Remove(b);
            _sums[a] = sum;
            _members[a] = members;
            _size[a] += _size[b];
            _parent[b] = a;
            if (_photos.Remove(b, out var photos))
            {
                if (_photos.TryGetValue(a, out var own)) own.UnionWith(photos);
                else _photos[a] = photos;
            }
        }

        public int[] Roots()
        {
            var roots = new int[_parent.Length];
            for (var i = 0; i < roots.Length; i++)
            {
                var r = i;
                while (_parent[r] != r) r = _parent[r];
                roots[i] = r;
            }
            return roots;
        }

        /// <summary>Every face's neighbours and the faces that have it as a neighbour, once each (compressed rows).</summary>
        private static (int[] Adjacency, int[] Start) Undirected(NeighbourGraph graph)
        {
            var n = graph.Count;
            var degree = new int[n + 1];
            for (var i = 0; i < n; i++)
                foreach (var j in graph.NeighboursOf(i))
                    if (j >= 0)
                    {
                        degree[i]++;
                        degree[j]++;
                    }
            var start = new int[n + 1];
            for (var i = 0; i < n; i++) start[i + 1] = start[i] + degree[i];
            var adjacency = new int[start[n]];
            var fill = (int[])start.Clone();
            for (var i = 0; i < n; i++)
                foreach (var j in graph.NeighboursOf(i))
                    if (j >= 0)
                    {
                        adjacency[fill[i]++] = j;
                        adjacency[fill[j]++] = i;
                    }
            return (adjacency, start);
        }
    }

    /// <summary>ln FAR of a distance, read from a fine table (a round looks up millions).</summary>
    internal sealed class LogRateTable
    {
        private const float Step = 1e-4f;
        private readonly double[] _values;

        public LogRateTable(DistanceCalibration calibration)
        {
            _values = new double[(int)(4 / Step) + 2];
            for (var i = 0; i < _values.Length; i++)
                _values[i] = Math.Max(Math.Log(calibration.FalseAcceptRate(Math.Min(4f, i * Step))), -700);
        }

        public double this[float distance]
        {
            get
            {
                var x = Math.Clamp(distance, 0f, 4f) / Step;
                var i = (int)x;
                return i + 1 >= _values.Length ? _values[^1] : _values[i] + (x - i) * (_values[i + 1] - _values[i]);
            }
        }
    }
}
