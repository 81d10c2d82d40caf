using System.Text;
using Engine.Models.Contracts;
using Engine.Models.Privacy;

namespace Engine.Models.Tests.Privacy;

public sealed class PrivacyRequestTests
{
    [Fact]
    public void Erase_and_consent_requests_decode()
    {
        var (erase, error) = PrivacyRequest.Decode("""{"type":"erase","request_id":"r-1","user_id":"u-1"}"""u8);
        Assert.Null(error);
        Assert.Equal((PrivacyRequestTypes.Erase, "r-1", "u-1"), (erase!.Type, erase.RequestId, erase.UserId));
        var (consent, _) = PrivacyRequest.Decode("""{"type":"consent","request_id":"r-2","user_id":"u-1","personalisation":false,"ad_targeting":true}"""u8);
        Assert.Equal((false, (bool?)true), (consent!.Personalisation, consent.AdTargeting));
    }

    [Theory]
    [InlineData("""{"type":"forget","request_id":"r","user_id":"u"}""", "unknown type")]
    [InlineData("""{"type":"erase","request_id":"r","user_id":" "}""", "required")]
    [InlineData("""{"type":"erase","user_id":"u"}""", "malformed")]
    [InlineData("""{"schema_version":2,"type":"erase","request_id":"r","user_id":"u"}""", "schema_version")]
    [InlineData("""{"type":""", "malformed")]
    // An opt-out misspelt must not read as an opt-in.
    [InlineData("""{"type":"consent","request_id":"r","user_id":"u","personalization":false,"adTargeting":false}""", "consent requires personalisation and ad_targeting")]
    [InlineData("""{"type":"consent","request_id":"r","user_id":"u","personalisation":false}""", "consent requires personalisation and ad_targeting")]
    [InlineData("""{"type":"consent","request_id":"r","user_id":"u","personalisation":null,"ad_targeting":false}""", "consent requires personalisation and ad_targeting")]
    public void Requests_that_cannot_be_acted_on_are_refused_with_a_reason(string json, string reason)
    {
        var (request, error) = PrivacyRequest.Decode(Encoding.UTF8.GetBytes(json));
        Assert.Null(request);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_longer_than_a_clickstream_record_is_refused_as_oversized()
    {
        var id = new string('u', ClickEventCodec.MaxRecordBytes);
        var (request, error) = PrivacyRequest.Decode(Encoding.UTF8.GetBytes($$"""{"type":"erase","request_id":"r","user_id":"{{id}}"}"""));

        Assert.Null(request);
        Assert.StartsWith("oversized:", error);
    }

    [Fact]
    public void Consent_round_trips_through_its_fields_and_absent_fields_mean_granted()
    {
        var optedOut = new Consent(false, true);
        Assert.Equal(optedOut, Consent.FromFields(optedOut.ToFields().ToDictionary()));
        Assert.Equal(Consent.Granted, Consent.FromFields(new Dictionary<string, string>()));
    }
}
