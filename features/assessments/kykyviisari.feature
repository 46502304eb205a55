Feature: Kykyviisari summaries and their change over time
  As a coach (valmentaja) I record the client's Kykyviisari summary scores (0-10) when we assess
  the whole situation, and again later, so that we both see what has changed.

  Background:
    Given a client in my care team

  Scenario: A coach records a Kykyviisari summary twice and sees the change
    When I record a Kykyviisari summary dated 90 days ago with overall work ability 4 and skills 6
    And I record a Kykyviisari summary dated today with overall work ability 6 and skills 5
    Then the change in "Työ- ja toimintakyky kokonaisuutena" reads 4 -> 6, "+2"
    And the change in "Osaaminen" reads 6 -> 5, "−1"
    And the assessments page shows a chart "Kykyviisari (yhteenvetopisteet) ajan mittaan"
    And each view of the assessments was recorded in the access log

  Scenario: A score outside 0-10 is refused and names the item
    When I record a Kykyviisari summary dated today with overall work ability 12 and skills 6
    Then I am told "Työ- ja toimintakyky kokonaisuutena: anna kokonaisluku 0–10"
    And no assessment is stored

  Scenario: A coach outside the care team cannot see the assessments
    Given another coach who is not in the client's care team
    Then the other coach is refused the assessments page
