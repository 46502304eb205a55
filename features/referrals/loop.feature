Feature: A closed-loop referral handoff (lähete jatkopolulle)
  As a coach (valmentaja) I refer a client to a partner agency's service with the client's
  consent (suostumus); the partner (kumppani) answers, works and reports the outcome, and I see
  every step on the client's journey. Nobody falls between services.

  Background:
    Given a client of 21 in Kittilä in individual work with a coach
    And the partner agency "Tunturi-Lapin Ohjaamo" receives referrals to the Ohjaamo

  Scenario: The whole loop as the coach and the partner see it
    Given the client has consented to disclose "name, goals, handoff_note" to the partner agency
    When the coach refers the client to the Ohjaamo with "name, goals"
    Then the client's journey is at "referred"
    And the partner's inbox counts 1 "requested"
    When the partner fires "accept"
    Then the client's journey is at "referred"
    When the partner fires "start_work"
    Then the client's journey is at "on_pathway"
    When the partner fires "complete" with the outcome "goal_reached" and the note "Aloitti opinnot"
    Then the referral is "completed"
    And the client's journey is at "follow_on_completed"
    And the coach sees the steps "requested, accepted, in_progress, completed" with who made them
    And the coach sees the outcome "goal_reached"

  Scenario: A rejection returns the client to individual work and tells the coach why
    Given the client has consented to disclose "name" to the partner agency
    When the coach refers the client to the Ohjaamo with "name"
    And the partner fires "reject" with the reason "Ei vapaita paikkoja"
    Then the referral is "rejected"
    And the client's journey is at "individual_work"
    And the client's journey records "referral_returned" with the reason "Ei vapaita paikkoja"
    And the coach is notified "referral_rejected"

  Scenario: A partner sees only what the consent and the coach allowed
    Given the client has consented to disclose "name, goals" to the partner agency
    When the coach refers the client to the Ohjaamo with "goals"
    Then the partner sees only the packet fields "goals"

  Scenario: Revoking the consent cuts the partner off at once
    Given the client has consented to disclose "name" to the partner agency
    When the coach refers the client to the Ohjaamo with "name"
    And the coach revokes the consent
    Then the partner is refused the referral
    And the partner's inbox is empty

  Scenario: No referral without consent or a statutory basis
    When the coach refers the client to the Ohjaamo with "name" without consent
    Then the referral is refused asking for "consent_id"
    And the client's journey is at "individual_work"
