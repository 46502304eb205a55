Feature: A pair of coaches visits a client at home
  As a goal coach (tavoitevalmentaja) I visit a client at home with a colleague (työpari). I
  record the visit once, naming my pair worker; I am the one who wrote it. Naming my colleague
  gives them no access to the client: access and the access log stay per person.

  Background:
    Given the goal coach "Anna" with the client "Mikko" in her care team
    And her colleague "Ville", a coach of the same project outside Mikko's care team

  Scenario: A pair of coaches visits a client at home
    When Anna records a home visit of 90 minutes with "Ville" as her pair worker
    Then Mikko's timeline shows the home visit written by "Anna" with "Ville"
    And the contact was written by Anna with Ville as the pair worker
    And Ville still cannot open Mikko's page
    And the access log has Anna's views of Mikko and none of Ville's

  Scenario: A pair worker who is not a coach of the project is refused and nothing is saved
    When Anna records a home visit with a coach of another organisation as her pair worker
    Then the contact form answers 422 with the pair worker marked and the note kept
    And Mikko has no contacts
