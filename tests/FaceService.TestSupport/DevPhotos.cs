using FaceService.Evaluation;

namespace FaceService.TestSupport;

/// <summary>The development photos in ../shared/data/faces (24 people, group and no-face photos), read in place.</summary>
public static class DevPhotos
{
    private static readonly LabelledPhotoSet Set = LabelledPhotoSet.Load(RepoPaths.SharedFacesDir);

    public static string Directory => RepoPaths.SharedFacesDir;

    /// <summary>manifest.tsv rows: path relative to <see cref="Directory"/> and person ("_group", "_noface" for the special folders).</summary>
    public static readonly IReadOnlyList<(string Path, string Person)> Manifest = Set.Photos.Select(p => (p.Path, p.Person)).ToList();

    public static IEnumerable<(string Path, string Person)> SingleFacePhotos => Manifest.Where(m => !m.Person.StartsWith('_'));

    /// <summary>Labelled single-person photos by person, in manifest order (the first photo is each person's enrollment photo).</summary>
    public static readonly IReadOnlyList<Person> People = SingleFacePhotos.GroupBy(m => m.Person)
        .Select(g => new Person(g.Key, g.Select(m => Resolve(m.Path)).ToList())).ToList();

    public static string Resolve(string relative) => Path.Combine(Directory, relative);

    public static byte[] Read(string relative) => File.ReadAllBytes(Resolve(relative));

    public static string NoFace(string name) => Resolve($"_noface/{name}");

    public static string Group(string name) => Resolve($"_group/{name}");

    public sealed record Person(string Name, IReadOnlyList<string> Photos);
}
