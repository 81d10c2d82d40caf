using System.Text;

namespace Engine.Models.Tests.Scoring;

/// <summary>
/// Writes the smallest ONNX model of the engine's shape, by hand (no ONNX library is served here): <c>Features</c>
/// float[batch, n] times a weight matrix n x outputs gives <c>Probability.output</c> float[batch, outputs]. The batch
/// dimension is symbolic, or fixed when given: shapes a model exported by other tools can have.
/// </summary>
internal static class TinyOnnx
{
    /// <param name="opset">The default domain's opset the model declares (13; a higher one than the runtime knows: one it cannot run).</param>
    public static void Write(string path, int features, int? fixedBatch = null, int outputs = 1, int opset = 13)
    {
        var weights = new byte[features * outputs * sizeof(float)];
        for (var i = 0; i < features * outputs; i++) BitConverter.TryWriteBytes(weights.AsSpan(i * 4), 0.01f * (i + 1));
        var initializer = Message(w =>
        {
            w.Varint(1, features).Varint(1, outputs).Varint(2, 1); // dims, data_type FLOAT
            w.Text(8, "W").Bytes(9, weights); // name, raw_data
        });
        var node = Message(w => w.Text(1, "Features").Text(1, "W").Text(2, "Probability.output").Text(3, "score").Text(4, "MatMul"));
        var graph = Message(w =>
        {
            w.Bytes(1, node).Text(2, "tiny").Bytes(5, initializer);
            w.Bytes(11, ValueInfo("Features", fixedBatch, features));
            w.Bytes(12, ValueInfo("Probability.output", fixedBatch, outputs));
        });
        var opsetImport = Message(w => w.Text(1, "").Varint(2, opset));
        File.WriteAllBytes(path, Message(w => w.Varint(1, 8).Bytes(7, graph).Bytes(8, opsetImport))); // ir_version 8, graph, opset
    }

    private static byte[] ValueInfo(string name, int? batch, int width)
    {
        var batchDim = Message(w => { if (batch is { } b) w.Varint(1, b); else w.Text(2, "batch"); }); // dim_value or dim_param
        var widthDim = Message(w => w.Varint(1, width));
        var shape = Message(w => w.Bytes(1, batchDim).Bytes(1, widthDim));
        var tensor = Message(w => w.Varint(1, 1).Bytes(2, shape)); // elem_type FLOAT, shape
        return Message(w => w.Text(1, name).Bytes(2, Message(t => t.Bytes(1, tensor))));
    }

    private static byte[] Message(Action<Writer> build)
    {
        var writer = new Writer();
        build(writer);
        return writer.Stream.ToArray();
    }

    private sealed class Writer
    {
        public MemoryStream Stream { get; } = new();

        public Writer Varint(int field, long value) => Key(field, 0).Raw((ulong)value);

        public Writer Bytes(int field, byte[] value) => Key(field, 2).Raw((ulong)value.Length).Append(value);

        public Writer Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        private Writer Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private Writer Raw(ulong value)
        {
            do
            {
                var b = (byte)(value & 0x7F);
                value >>= 7;
                Stream.WriteByte(value == 0 ? b : (byte)(b | 0x80));
            } while (value != 0);
            return this;
        }

        private Writer Append(byte[] bytes)
        {
            Stream.Write(bytes);
            return this;
        }
    }
}
