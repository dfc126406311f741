using FaceService.CommandLine;
using System.Security.Cryptography;
using FaceService.Evaluation;
using FaceService.Inference;
using FaceService.Inference.Imaging;

namespace FaceService.Bench;

/// <summary>
/// `export-rgb`: decodes the photos of a shared set with the service's decoder (SkiaSharp, EXIF orientation applied) and
/// writes each as raw 8-bit RGB (row-major, no header) to &lt;out&gt;/&lt;photo path&gt;.rgb, plus &lt;out&gt;/index.tsv
/// (path, width, height, sha256 of the RGB bytes). The dlib programs in tests/parity/dlib read these files, so that dlib
/// and FaceService see the same pixels whatever JPEG decoder each would use.
/// Options: --set lfw-dev|faces (default lfw-dev), --out &lt;folder&gt; (required), --limit N.
/// </summary>
public static class RgbExport
{
    public static int Run(ToolArguments args)
    {
        var set = LabelledPhotoSet.LoadShared(args.Get("set", "lfw-dev"));
        var outDir = args.Get("out", "") is { Length: > 0 } o ? Path.GetFullPath(o) : throw new ArgumentException("--out <folder> is required.");
        var photos = set.Photos.Take(args.Get("limit", int.MaxValue)).ToList();
        var decoder = new SkiaImageDecoder(new InferenceOptions().MaxImagePixels);

        using var index = new StreamWriter(Path.Combine(Directory.CreateDirectory(outDir).FullName, "index.tsv"));
        index.WriteLine("path\twidth\theight\trgb_sha256");
        foreach (var photo in photos)
        {
            var image = decoder.Decode(set.Read(photo));
            var rgb = ToRgb(image);
            var file = Path.Combine(outDir, photo.Path + ".rgb");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, rgb);
            index.WriteLine($"{photo.Path}\t{image.Width}\t{image.Height}\t{Convert.ToHexStringLower(SHA256.HashData(rgb))}");
        }
        Console.WriteLine($"{photos.Count} photos of {set.Directory} written as RGB to {outDir}");
        return 0;
    }

    /// <summary>The RGB bytes of an image, alpha dropped.</summary>
    public static byte[] ToRgb(Core.Imaging.RgbaImage image)
    {
        var rgb = new byte[image.Width * image.Height * 3];
        for (int i = 0, p = 0; i < rgb.Length; i += 3, p += 4)
            (rgb[i], rgb[i + 1], rgb[i + 2]) = (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]);
        return rgb;
    }
}
