using Engine.Models.Privacy;

namespace Engine.Actors.Privacy;

/// <summary>What a user actor needs to honour consent and erasure: where consent lives, and the decisions that use no personal data.</summary>
public sealed record UserPrivacy(PrivacyStore Store, NonPersonalDecisions NonPersonal);
