using FaceService.ModelBuilder.Onnx;
using Google.Protobuf;

namespace FaceService.ModelBuilder.Tests;

/// <summary>The hand-written onnx.proto subset puts each value under the field number onnx.proto gives it.</summary>
public sealed class OnnxProtoWriterTests
{
    [Fact]
    public void Tensor_is_written_as_dims_data_type_name_and_little_endian_raw_data()
    {
        byte[] bytes = OnnxTensor.FromFloats("w", [1f, -2f, 0.5f], 3, 1).ToByteArray();

        List<(int Field, object Value)> fields = Decode(bytes);

        Assert.Equal(
            [(1, 3L), (1, 1L), (2, 1L), (8, "w")],
            fields.Take(4).Select(f => (f.Field, f.Value is ByteString s ? s.ToStringUtf8() : f.Value)));
        (int field, object raw) = fields[4];
        Assert.Equal(9, field);
        Assert.Equal([1f, -2f, 0.5f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(((ByteString)raw).Span).ToArray());
    }

    [Fact]
    public void Tensor_rejects_data_that_does_not_fill_its_shape() =>
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("w", [1f, 2f], 3));

    [Fact]
    public void Value_info_nests_type_tensor_type_and_shape_with_symbolic_batch()
    {
        byte[] bytes = new OnnxValueInfo("input", OnnxDataType.Float, [OnnxDim.Named("N"), 3]).ToByteArray();

        List<(int Field, object Value)> info = Decode(bytes);
        Assert.Equal((1, "input"), (info[0].Field, ((ByteString)info[0].Value).ToStringUtf8()));
        Assert.Equal(2, info[1].Field); // ValueInfoProto.type
        List<(int Field, object Value)> type = Decode(Bytes(info[1]), expectField: 1); // TypeProto.tensor_type
        List<(int Field, object Value)> tensorType = Decode(Bytes(type[0]));
        Assert.Equal((1, 1L), tensorType[0]); // elem_type FLOAT
        Assert.Equal(2, tensorType[1].Field); // shape
        List<(int Field, object Value)> dims = Decode(Bytes(tensorType[1]), expectField: 1);
        Assert.Equal(2, dims.Count);
        Assert.Equal("N", ((ByteString)Decode(Bytes(dims[0]))[0].Value).ToStringUtf8()); // dim_param = 2
        Assert.Equal((1, 3L), Decode(Bytes(dims[1]))[0]); // dim_value = 1
    }

    [Fact]
    public void Attributes_carry_their_type_tag()
    {
        List<(int Field, object Value)> ints = Decode(OnnxAttribute.Ints("pads", 0, 1, 2).ToByteArray());
        Assert.Equal([(8, 0L), (8, 1L), (8, 2L), (20, 7L)], ints.Skip(1));

        List<(int Field, object Value)> epsilon = Decode(OnnxAttribute.Float("epsilon", 0.001f).ToByteArray());
        Assert.Equal([(2, (object)0.001f), (20, 1L)], epsilon.Skip(1));
    }

    [Fact]
    public void Model_header_has_ir_version_8_and_the_default_opset_17()
    {
        var graph = new GraphBuilder("g");
        graph.Output(graph.Relu(graph.Input("x", 1)), "y", 1);
        byte[] bytes = graph.ToModel("producer", "1.2.3", "doc", [new("k", "v")]).ToByteArray();

        List<(int Field, object Value)> model = Decode(bytes);
        Assert.Equal((1, 8L), model[0]);
        (int _, object opset) = Assert.Single(model, f => f.Field == 8);
        Assert.Equal([(2, 17L)], Decode(((ByteString)opset).ToByteArray()));
        (int _, object metadata) = Assert.Single(model, f => f.Field == 14);
        Assert.Equal(["k", "v"], Decode(((ByteString)metadata).ToByteArray()).Select(f => ((ByteString)f.Value).ToStringUtf8()));
    }

    private static byte[] Bytes((int Field, object Value) field) => ((ByteString)field.Value).ToByteArray();

    /// <summary>Decodes one message level: varints as long, fixed32 as float, length-delimited as ByteString.</summary>
    private static List<(int Field, object Value)> Decode(byte[] bytes, int? expectField = null)
    {
        var input = new CodedInputStream(bytes);
        var fields = new List<(int, object)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.Fixed32 => input.ReadFloat(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes(),
                var other => throw new InvalidDataException($"unexpected wire type {other}"),
            };
            fields.Add((field, value));
        }

        if (expectField is int expected)
        {
            Assert.All(fields, f => Assert.Equal(expected, f.Item1));
        }

        return fields;
    }
}
