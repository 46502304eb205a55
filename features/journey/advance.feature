Feature: Moving a client along their journey
  As a coach (valmentaja) I move each client along the client journey (asiakkaan polku),
  and every move is checked, explained and recorded.

  Background:
    Given a client reached through outreach in Kittilä, aged 27

  Scenario: A client who agreed to take part is engaged
    Given the client has agreed to take part
    When the coach moves the client with "engage"
    Then the client's journey is at "engaged"
    And the journey history reads "outreach -> engaged"

  Scenario: Engagement is blocked until the client's agreement is recorded
    When the coach moves the client with "engage"
    Then the move is refused by the rule "participation_consent"
    And the coach is told in Finnish "Asiakkaan suostumusta osallistumiseen ei ole kirjattu."
    And the client's journey is at "outreach"

  Scenario: An impossible move names the moves possible now
    When the coach moves the client with "finish_group_work"
    Then the move is impossible and the possible moves are "decline, close"
    And the coach sees that "engage" waits for a rule to be met
    And the journey history reads "outreach"

  Scenario: A pause needs a reason and the client resumes where they left off
    Given the client has agreed to take part
    And the client has a goal with all five levels described
    And the client has moved through "engage, start_assessment, set_goals, start_group_work"
    When the coach moves the client with "pause" without a reason
    Then the coach is asked for a reason
    When the coach moves the client with "pause" because "Sairaalahoidossa"
    And the coach moves the client with "resume"
    Then the client's journey is at "group_work"

  Scenario: Closing records an outcome
    When the coach closes the journey with the outcome "no_contact"
    Then the client's journey is at "closed"
    And no further move is possible

  Scenario: Two coaches act on the same client at the same moment
    Given the client has agreed to take part
    When two coaches both move the client with "engage" from version 1
    Then exactly one of them succeeds and the other is told someone was first
    And the journey history reads "outreach -> engaged"
