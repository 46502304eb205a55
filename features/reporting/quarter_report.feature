Feature: Reporting to the funder (ESF+ raportointi rahoittajalle)
  As a project manager (projektipäällikkö) I report a quarter of my project to the funder:
  the participants by gender, the results at exit and six months later, planned against
  actual, and an export the funder can read, which my participants can see in their log.

  Background:
    Given the project "VALTO-T" with a co-implementer and seven participants with filled forms

  Scenario: A project manager reports a quarter to the funder
    When the project manager opens the funder report from 2026-04-01 to 2026-06-30
    Then the report says 4 participants entered: 1 woman, 1 man, 1 non-binary and 1 who declined
    And the long-term unemployed are 1 man with 1 gap
    And the result "in employment upon leaving" is 1 woman
    And the plan of 20 participants has 6 so far
    When the project manager exports the quarter as XLSX
    Then the file lists participants 1 to 6 by number and no names
    And the total's cells show "<5"
    And each of the 6 participants' log reports shows the export to "Etelä-Savon ELY-keskus (testi)"

  Scenario: A co-implementer's share of the quarter
    When the project manager opens the funder report from 2026-04-01 to 2026-06-30 for "SaimaanVirta (testi)"
    Then the report says 2 participants entered: 0 woman, 0 man, 1 non-binary and 1 who declined
