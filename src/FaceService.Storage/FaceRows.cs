using System.Runtime.InteropServices;
using FaceService.Core.Faces;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage;

/// <summary>The faces table's columns as the stores select them, and their readers.</summary>
internal static class FaceRows
{
    public const string FaceColumns =
        "face_id, subject, collection, box_x, box_y, box_width, box_height, score, image_sha256, model_id, created_at, " +
        "cluster_id, quality, low_quality, source";

    /// <summary>A row of <see cref="FaceColumns"/>.</summary>
    public static StoredFace ReadFace(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2),
        new FaceBox(r.GetFloat(3), r.GetFloat(4), r.GetFloat(5), r.GetFloat(6)), r.GetFloat(7), r.GetString(8), r.GetString(9),
        r.GetFieldValue<DateTimeOffset>(10), r.IsDBNull(11) ? null : r.GetInt64(11), r.IsDBNull(12) ? null : r.GetFloat(12), r.GetBoolean(13),
        r.IsDBNull(14) ? null : r.GetString(14));

    /// <summary><see cref="FaceColumns"/> of the faces table under the alias f.</summary>
    public static readonly string AliasedFaceColumns = string.Join(", ", FaceColumns.Split(", ").Select(c => "f." + c));

    /// <summary>face_id, subject, code, image_sha256, low_quality.</summary>
    public const string CodeColumns = "face_id, subject, code, image_sha256, low_quality";

    /// <summary>A row of <see cref="CodeColumns"/>.</summary>
    public static StoredCode ReadCode(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.IsDBNull(1) ? null : r.GetString(1), Code(r, 2), r.GetString(3), r.GetBoolean(4));

    /// <summary>A code column as the signed bytes it stores.</summary>
    public static sbyte[] Code(NpgsqlDataReader r, int ordinal) => MemoryMarshal.Cast<byte, sbyte>(r.GetFieldValue<byte[]>(ordinal)).ToArray();

    /// <summary>subject, collection, count, first and last created_at.</summary>
    public static SubjectSummary ReadSubject(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4));

    public static byte[] CodeBytes(sbyte[] code) => MemoryMarshal.AsBytes(code.AsSpan()).ToArray();
}
