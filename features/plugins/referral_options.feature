Feature: Where may this client go next, and if not, why not?
  As a coach (työkykyvalmentaja) I see every follow-on pathway (jatkopolku) offered in my
  client's municipality: the ones I may refer them to, and the blocked ones with the reason
  and the law behind it, assessed on the day I ask with the facts recorded for that day.

  Scenario: A client under 29 in Kittilä may be referred to outreach youth work
    Given a client in Kittilä born on 2001-04-12
    When the coach looks at the referral options on 2026-11-23
    Then "Etsivä nuorisotyö, Kittilä" is open to the client

  Scenario: A client aged 35 in Kittilä may not, and the coach sees why
    Given a client in Kittilä born on 1991-05-02
    When the coach looks at the referral options on 2026-11-23
    Then "Etsivä nuorisotyö, Kittilä" is blocked because "Asiakas on 35-vuotias; palvelu on alle 29-vuotiaille."
    And the legal source given is "Nuorisolaki 1285/2016, 3 § ja 11 §"

  Scenario: Rehabilitative work activity needs long-term unemployment and a plan
    Given a client in Muhos born on 1985-02-02
    And the coach has recorded these facts as of 2025-01-15:
      | fact                              | value           |
      | Työmarkkina-asema                 | Työtön          |
      | Työttömänä yhtäjaksoisesti alkaen | 2025-01-15      |
      | Pääasiallinen etuus               | Työmarkkinatuki |
    When the coach looks at the referral options on 2025-12-01
    Then "Kuntouttava työtoiminta, Muhos" is blocked because "Asiakas on ollut työttömänä 10 kk; kuntouttava työtoiminta on pitkään työttömänä olleille (vähintään 12 kk)."
    And the legal source given is "Laki kuntouttavasta työtoiminnasta 189/2001"
    When the coach looks at the referral options on 2026-02-01
    Then "Kuntouttava työtoiminta, Muhos" is blocked because "Kirjaa ensin: Aktivointisuunnitelma tehty, Monialainen työllistymissuunnitelma tehty."
    Given the coach has recorded these facts as of 2026-01-20:
      | fact                        | value |
      | Aktivointisuunnitelma tehty | kyllä |
    When the coach looks at the referral options on 2026-02-01
    Then "Kuntouttava työtoiminta, Muhos" is open to the client

  Scenario: The repealed multi-agency rule applied until the end of 2024
    Given a client in Raahe born on 2001-01-10
    And the coach has recorded these facts as of 2024-03-01:
      | fact                                               | value      |
      | Työmarkkina-asema                                  | Työtön     |
      | Työttömänä yhtäjaksoisesti alkaen                  | 2024-03-01 |
      | Työ- tai toimintakyvyn tai elämänhallinnan esteitä | kyllä      |
    When the coach looks at the referral options on 2024-05-01
    Then "Monialainen työllistymistä edistävä palvelu, Raahen seudun työllisyysalue" is blocked because "Asiakas on ollut työttömänä 2 kk; vaatimus oli 6 kk."
    And the legal source given is "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta 1369/2014 (kumottu 1.1.2025)"

  Scenario: A rule outside its validity dates does not apply
    Given a client in Raahe born on 2001-01-10
    And the coach has recorded these facts as of 2025-03-01:
      | fact                                               | value      |
      | Työmarkkina-asema                                  | Työtön     |
      | Työttömänä yhtäjaksoisesti alkaen                  | 2025-03-01 |
      | Työ- tai toimintakyvyn tai elämänhallinnan esteitä | kyllä      |
    When the coach looks at the referral options on 2025-05-01
    Then "Monialainen työllistymistä edistävä palvelu, Raahen seudun työllisyysalue" is open to the client
    And the rule "multi_agency_unemployment_length_1369_2014" was not asked
    And the legal source given is "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta 381/2023"

  Scenario: A local service only for residents
    Given a client in Posio born on 1980-06-01
    When the coach looks at the referral options on 2026-11-23
    Then "Kuntouttava työtoiminta, Kemijärvi" is blocked because "Palvelu on vain kunnan Kemijärvi asukkaille."
    Given a client in Kemijärvi born on 1980-06-01
    When the coach looks at the referral options on 2026-11-23
    Then the rule "kemijarvi_residents_only" allows "Kuntouttava työtoiminta, Kemijärvi"

  Scenario: A full workshop asks the coach to use its waiting list
    Given a client in Juva born on 1995-09-09
    When the coach looks at the referral options on 2027-01-15
    Then "Työpaja, Juva" is blocked because "Kaikki 8 paikkaa ovat täynnä 15.1.2027 asti; asiakkaan voi laittaa jonoon."
    When the coach looks at the referral options on 2027-01-16
    Then "Työpaja, Juva" is open to the client
