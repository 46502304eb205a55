Feature: GAS goals with the client (tavoitteet, Goal Attainment Scaling)
  As a coach (valmentaja) I set goals with the client, each with five levels from -2 to +2
  described in the client's own words, rate them at follow-ups (seuranta) and see how the
  T-score changes. The journey enters goal setting only once a goal is described.

  Background:
    Given a client in the assessment of the whole situation with a coach

  Scenario: A coach sets GAS goals with a client, rates them later and sees the T-score
    When the coach sets the goal "Säännöllinen päivärytmi" with baseline -1, importance 2 and difficulty 3
    And the coach sets the goal "Liikun kodin ulkopuolella" with baseline -2, importance 1 and difficulty 1
    Then the T-scores read "37,4"
    When 40 days pass
    And the coach records a follow-up 30 days ago: "Säännöllinen päivärytmi" at 1, "Liikun kodin ulkopuolella" at -1
    And the coach records a follow-up 2 days ago: "Säännöllinen päivärytmi" at 2, "Liikun kodin ulkopuolella" at 0
    Then the T-scores read "37,4; 57,8; 68,8"
    And the latest follow-up changed the T-score by "+11,0" from the previous and "+31,4" from the baseline

  Scenario: A follow-up is not dated before its goals were set
    When the coach sets the goal "Säännöllinen päivärytmi" with baseline -1, importance 2 and difficulty 3
    And 10 days pass
    Then a follow-up 11 days ago is refused because "ennen kuin tavoite asetettiin"
    When the coach records a follow-up 10 days ago: "Säännöllinen päivärytmi" at 1
    Then the T-scores read "40,0; 60,0"

  Scenario: Goal setting waits for a goal with all five levels described
    When the coach moves the client to goal setting
    Then the step is blocked because "kaikki viisi tasoa" are not described
    When the coach saves the goal "Opiskelupaikka" with only the expected level described
    Then the goal "Opiskelupaikka" is a draft that cannot be rated yet
    And the step is blocked because "kaikki viisi tasoa" are not described
    When the coach sets the goal "Säännöllinen päivärytmi" unweighted with baseline -1
    And the coach moves the client to goal setting
    Then the client's journey is at "goal_setting"

  Scenario: Goals whose weights are all zero have no T-score
    When the coach sets the goal "Säännöllinen päivärytmi" with baseline -1, importance 0 and difficulty 3
    Then the T-scores read "määrittelemätön"
