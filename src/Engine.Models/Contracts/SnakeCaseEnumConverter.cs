using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>Writes and reads an enum as its snake_case name (<c>AddToCart</c> -> <c>add_to_cart</c>); numbers are refused.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
