Feature: Who may see a client's data (asiakastietojen käyttöoikeudet)
  A client's data is special-category data. A coach sees the clients of their own care team,
  a coordinator sees aggregates of the organisation, an admin manages users, and every view of
  a client's data is written to the client's access log (Client Data Act 703/2023 §11).

  Background:
    Given coach "Veera" records a new client

  Scenario: A coach sees the journey of a client in their care team
    When coach "Veera" opens the client's journey
    Then the journey is shown
    And the client's access log shows "client, journey" by "Veera"

  Scenario: A coach outside the care team is refused, and nothing is logged
    Given coach "Ville" of the same organisation
    When coach "Ville" opens the client's journey
    Then the answer is "forbidden"
    And the client's access log shows "client" by "Veera"

  Scenario: A colleague added to the care team sees the client from then on
    Given coach "Ville" of the same organisation
    When coach "Veera" adds "Ville" to the client's care team
    And coach "Ville" opens the client's journey
    Then the journey is shown

  Scenario: The move is recorded in the coach's name
    When coach "Veera" moves the client's journey with "engage"
    Then the journey's last event was made by "Veera"

  Scenario: A coordinator sees the funnel of the organisation but not the client record
    Given coordinator "Kaisa" of the same organisation
    When coordinator "Kaisa" opens the funnel
    Then the funnel counts 1 contacted journey
    When coordinator "Kaisa" opens the client's journey
    Then the answer is "forbidden"

  Scenario: A coordinator prints the client's log for the client
    Given coordinator "Kaisa" of the same organisation
    When coach "Veera" opens the client's journey
    And coordinator "Kaisa" prints the client's log
    Then the printed log lists "client, journey, client_log"

  Scenario: An admin manages users but cannot read client data
    Given admin "Aaro"
    When admin "Aaro" lists the users
    Then the answer is "ok"
    When admin "Aaro" opens the client's journey
    Then the answer is "forbidden"

  Scenario: A partner worker sees nothing of the project's clients
    Given partner worker "Paula" of a partner agency
    When partner worker "Paula" opens the client's journey
    Then the answer is "forbidden"
