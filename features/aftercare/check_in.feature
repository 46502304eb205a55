Feature: The coach checks in after a follow-on pathway began (aftercare, jälkiseuranta)
  As a coach I keep in touch with a client who moved on to a follow-on pathway: one, three and
  six months after it began (the pathway data sets the months per kind of pathway). The caseload
  tells me when a check-in is due; each check-in I record as a contact of kind "aftercare"
  clears it. Nothing runs in the background: the reminders follow from what is recorded, and
  they stop when the journey closes.

  Background:
    Given the coach "Anna" whose client "Mikko" began a work trial on 2 March 2026

  Scenario: The coach checks in a month after the work trial began
    When it is 3 April 2026 and Anna opens her caseload
    Then Mikko's row shows "Jälkiseuranta: 1"
    And Mikko's page lists the check-ins of 2.4.2026, 2.6.2026 and 2.9.2026, the first one due
    When Anna follows the check-in link on Mikko's page and records a phone check-in of 20 minutes
    Then Mikko's page shows the first check-in done on 3.4.2026 and the others upcoming
    And Mikko's row shows no aftercare reminder
    And the contact is of kind "aftercare" written by Anna

  Scenario: Left undone, the check-in turns overdue two weeks later
    When it is 16 April 2026 and Anna opens her caseload
    Then Mikko's row shows "Jälkiseuranta myöhässä: 1"

  Scenario: Closing the journey stops the reminders
    Given the employer marked the work trial completed on 30 March 2026
    When it is 20 April 2026 and Anna closes Mikko's journey with the outcome "follow_on_pathway"
    Then Mikko's page shows no aftercare plan
    And Mikko's row among the closed clients shows no aftercare reminder
