using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Engine.Training.Ml;

/// <summary>Gradient-boosted trees (ML.NET FastTree, Platt-calibrated) over a <see cref="Dataset"/>; exportable to ONNX.</summary>
public sealed class FastTreeModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    private FastTreeModel(MLContext ml, ITransformer model, Dataset trainedOn, TreeOptions options)
    {
        (_ml, _model, TrainedOn, Options) = (ml, model, trainedOn, options);
    }

    public Dataset TrainedOn { get; }
    public TreeOptions Options { get; }

    public static FastTreeModel Train(Dataset data, TreeOptions options, int seed)
    {
        var ml = new MLContext(seed);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinLeafCount,
            LearningRate = options.LearningRate,
            FeatureFraction = options.FeatureFraction,
            Seed = seed,
            NumberOfThreads = 1, // reproducible from the seed
        });
        return new FastTreeModel(ml, trainer.Fit(ToView(ml, data)), data, options);
    }

    /// <summary>Probabilities from ML.NET itself (the reference the ONNX export is checked against).</summary>
    public float[] Predict(IReadOnlyList<float[]> rows)
    {
        var data = Dataset.Empty(TrainedOn.Names);
        foreach (var r in rows) data.Add(r, false);
        return _model.Transform(ToView(_ml, data)).GetColumn<float>("Probability").ToArray();
    }

    /// <summary>
    /// Writes ONNX from a data view holding only the features (otherwise the graph also asks for a Label input) and
    /// keeps only the probability output.
    /// </summary>
    public void ExportOnnx(string path)
    {
        var width = TrainedOn.Names.Count;
        var schema = SchemaDefinition.Create(typeof(FeaturesOnly));
        schema[nameof(FeaturesOnly.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var view = _ml.Data.LoadFromEnumerable([new FeaturesOnly { Features = new float[width] }], schema);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = File.Create(path);
        _ml.Model.ConvertToOnnx(_model, view, stream, "Probability");
    }

    private static IDataView ToView(MLContext ml, Dataset data)
    {
        var schema = SchemaDefinition.Create(typeof(LabelledRow));
        schema[nameof(LabelledRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Names.Count);
        var rows = data.Rows.Select((r, i) => new LabelledRow { Features = r, Label = data.Labels[i] });
        return ml.Data.LoadFromEnumerable(rows.ToList(), schema);
    }

    private sealed class LabelledRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class FeaturesOnly
    {
        public float[] Features { get; set; } = [];
    }
}

/// <summary>FastTree's knobs that matter here.</summary>
public sealed record TreeOptions(int Trees = 100, int Leaves = 20, int MinLeafCount = 20, double LearningRate = 0.1, double FeatureFraction = 1.0);
