Feature: A coach runs an 8-week group and takes attendance
  As a coach (valmentaja) I start a group (ryhmä) that meets once a week for eight weeks, invite
  my clients to it, mark who starts attending, and take attendance at each meeting in a few taps.
  Group work shows on each member's timeline and moves their journey.

  Background:
    Given a coach with the clients "Aino, Eero, Saara" in goal setting
    And the coach's client "Ville" still in assessment
    And the coach starts the group "Arjen taidot" with 8 weekly meetings, the first 3 weeks ago

  Scenario: A coach runs an 8-week group and takes attendance
    Then the group has 8 meetings a week apart
    When the coach invites "Aino, Eero, Saara" to the group from their pages
    Then the membership of "Aino" is "invited"
    When the coach marks "Aino, Eero, Saara" as starting to attend
    Then the membership of "Aino" is "attending"
    And the journey of "Aino" is at "group_work"
    When the coach taps attendance for "Aino, Eero" at meeting 1
    And the coach taps attendance for "Aino" at meeting 2
    And the coach taps attendance for "Eero" at meeting 1 again
    Then the attendance reads "Aino 2/4, Eero 0/4, Saara 0/4" (of the 4 meetings held so far)
    And the timeline of "Aino" shows the meetings 2 and 1 attended
    When "Saara" drops out of the group with the reason "Muutti toiselle paikkakunnalle"
    Then the membership of "Saara" is "dropped_out"
    And the journey of "Saara" is at "individual_work"
    When "Aino" completes the group
    Then the journey of "Aino" is at "individual_work"

  Scenario: A client still in assessment cannot start attending, and nothing is saved
    When the coach invites "Ville" to the group from their pages
    And the coach marks "Ville" as starting to attend
    Then the coach is told the journey must move first
    And the membership of "Ville" is "invited"
    And the journey of "Ville" is at "assessment"

  Scenario: A colleague outside the group sees nothing of it
    When the coach invites "Aino" to the group from their pages
    Then another coach of the same project is refused the group page
    And the group is not on the other coach's list

  Scenario: A partner co-leader sees only the members who consented, and only while it holds
    Given a worker of a partner organisation co-leads the group
    When the coach invites "Aino" to the group from their pages, with her verbal consent to the co-leader's organisation
    And the coach invites "Eero" to the group from their pages
    And the coach marks "Aino, Eero" as starting to attend
    Then the co-leader sees "Aino" on the group page but not "Eero"
    And the disclosure log of "Aino" names the co-leader's organisation for her group attendance
    And the disclosure log of "Eero" is empty
    When the coach revokes the consent of "Aino"
    Then the co-leader sees no member on the group page
