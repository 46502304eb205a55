Feature: A psychologist's session for six clients
  As a coach I arrange an expert session (asiantuntijatapaaminen): a psychologist from outside
  the project assesses the capacity for work of six of my clients. I create the event from my
  workspace, add my clients, and record on my phone who came and why the others did not. Each
  client's timeline shows it, the rates count only sessions held, and the project coordinator
  sees the event of the organisation.

  Background:
    Given the coach "Anna" with six clients in her care team

  Scenario: A psychologist's session for six clients
    When Anna creates an expert session led by the psychologist "Pirjo Pohjola" of "Psykologipalvelut Oy" an hour ago
    And she adds her six clients as participants
    And she marks four present, one absent ill who told us beforehand and one absent without notice
    Then the event page shows four participants at 1 of 1 sessions held and two at 0 of 1
    And the timeline of the client who was ill shows the absence with its reason and notice
    And the project's coordinator sees the session among the organisation's events
    And the funder report's event figure counts four sessions attended by four participants

  Scenario: A client of another coach cannot be added
    When Anna creates an expert session led by the psychologist "Pirjo Pohjola" of "Psykologipalvelut Oy" an hour ago
    And Anna tries to add a client of another coach
    Then she is refused and the session has no participants
