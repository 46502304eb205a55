Feature: A client gives feedback from their phone
  As a coach (ohjaaja) I give my client a one-time link to give feedback and wishes (palaute ja
  toiveet) on their own phone, without an account. The page shows nothing of the client, the link
  works once and expires, and the coordinator sees counts and themes but never who said what.

  Background:
    Given the coach "Anna" with the client "Mikko" in her care team

  Scenario: A client gives feedback from their phone
    When Anna makes a feedback link in Swedish for Mikko
    And Mikko opens the link on his phone
    Then the page is in Swedish and shows nothing of Mikko
    When Mikko answers "very satisfied", wishes for "peer groups" and writes "Mer gruppträffar"
    Then Mikko is thanked
    And Anna sees Mikko's answer on his voice page, given on his own phone
    And the access log has the link's creation by Anna and its use by Mikko
    When Mikko opens the link again
    Then he gets the neutral page and nothing more is stored

  Scenario: An expired link gets the neutral page
    When Anna makes a feedback link in Swedish for Mikko
    And eight days pass
    And Mikko opens the link on his phone
    Then he gets the neutral page and nothing more is stored
