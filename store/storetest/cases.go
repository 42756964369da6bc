package storetest

// cases lists the suite's behaviours in the order they run.
func cases() []testCase {
	return []testCase{
		{"PolicyVersionsHistoryRetire", testPolicyVersions},
		{"RequestCreateGetList", testRequestsCreateGetList},
		{"RequestTransition", testTransitionRequest},
		{"DecideApproveCreatesGrantsAndAudit", testDecideApprove},
		{"DecideTwiceTypedError", testDecideTwice},
		{"DecideRace50Goroutines", testDecideRace(1)},
		{"DecideRace50GoroutinesTwoHandles", testDecideRace(2)},
		{"DecideQuorumTwo", testDecideQuorum},
		{"DecideDenyEnds", testDecideDeny},
		{"DecideRefusedNoChange", testDecideRefused},
		{"GrantsDueBeforeExactBoundary", testGrantsDueBefore},
		{"EndGrantOnce", testEndGrantOnce},
		{"ClaimOnceAndAfterExpiry", testClaim},
		{"LeaseExclusiveAndExpiring", testLease},
		{"MessageRefsReplaceByKind", testMessageRefs},
		{"AuditFilters", testAuditFilters},
		{"RecertCAS", testRecerts},
		{"RecommendationCAS", testRecommendations},
		{"UsageUpsert", testUsage},
		{"WorkspaceTokenRoundTrip", testWorkspace},
		{"InvalidRejectedNoWrite", testInvalidRejected},
		{"ReopenLosesNothing", testReopen},
		{"SaveRecommendationCreatesOnce", testSaveRecommendationCreatesOnce},
		{"CreateRecertRecommendationDefaults", testCreateDefaults},
		{"UpdateRecertUnknownFromInvalid", testUpdateRecertUnknownFrom},
		{"TransitionPendingNamesWhoEnded", testTransitionPendingNamesWhoEnded},
		{"TransitionAuditsEachGrant", testTransitionAuditsEachGrant},
		{"ActorRequired", testActorRequired},
		{"RecordFieldsChecked", testRecordFieldsChecked},
		{"ClaimLongKey", testClaimLongKey},
		{"PurgeClaims", testPurgeClaims},
	}
}
