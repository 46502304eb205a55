Feature: Writing a plugin for my municipality
  As a plugin developer I describe my municipality and its services and rules in a plugin of
  my own; Polku applies the national rules to my services, and a bug in my plugin blocks only
  my plugin's services while the app keeps serving.

  Scenario: My plugin on a fresh plugin manager describes my municipality and my services
    Given the Esimerkkilä plugin registered on a fresh plugin manager
    Then municipality 999 is "Esimerkkilä" in "Esimerkkimaan hyvinvointialue" and "Esimerkkiseudun työllisyysalue"
    Given a client in Esimerkkilä born on 1990-01-01
    When the coach looks at the referral options on 2026-11-23
    Then "Etsivä nuorisotyö, Esimerkkilä" is blocked because "Asiakas on 36-vuotias; palvelu on alle 29-vuotiaille."
    And "Asumisvalmennus" is blocked because "Kirjaa ensin: Asumisneuvonnassa käyty."
    Given the coach has recorded these facts as of 2026-11-01:
      | fact                    | value |
      | Asumisneuvonnassa käyty | kyllä |
    When the coach looks at the referral options on 2026-11-23
    Then "Asumisvalmennus" is open to the client

  Scenario: A raising plugin blocks its services and is logged while others still answer
    Given a plugin whose referral targets raise an error
    And a client in Kittilä born on 2001-04-12
    When the coach looks at the referral options on 2026-11-23
    Then the broken plugin's services are shown as unavailable and blocked
    And the failure is logged without the client's name
    And "Etsivä nuorisotyö, Kittilä" is open to the client
