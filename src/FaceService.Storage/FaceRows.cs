using System.Runtime.InteropServices;
using FaceService.Core.Faces;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage;

/// <summary>The faces table's columns as the stores select them, and their readers.</summary>
internal static class FaceRows
{
    public const string FaceColumns =
        "face_id, subject, collection, box_x, box_y, box_width, box_height, score, image_sha256, model_id, created_at";

    /// <summary>A row of <see cref="FaceColumns"/>.</summary>
    public static StoredFace ReadFace(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2),
        new FaceBox(r.GetFloat(3), r.GetFloat(4), r.GetFloat(5), r.GetFloat(6)), r.GetFloat(7), r.GetString(8), r.GetString(9),
        r.GetFieldValue<DateTimeOffset>(10));

    /// <summary>face_id, subject, code, image_sha256.</summary>
    public const string CodeColumns = "face_id, subject, code, image_sha256";

    /// <summary>A row of <see cref="CodeColumns"/>.</summary>
    public static StoredCode ReadCode(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), MemoryMarshal.Cast<byte, sbyte>(r.GetFieldValue<byte[]>(2)).ToArray(), r.GetString(3));

    /// <summary>subject, collection, count, first and last created_at.</summary>
    public static SubjectSummary ReadSubject(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4));

    public static byte[] CodeBytes(sbyte[] code) => MemoryMarshal.AsBytes(code.AsSpan()).ToArray();
}
