namespace Engine.Models.Scoring;

/// <summary>A probability and the version of the model that produced it (a string already held by the model: no allocation).</summary>
public readonly record struct ScoreResult(float Probability, string ModelVersion);
