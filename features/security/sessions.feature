Feature: Logging in and out (kirjautuminen ja uloskirjautuminen)
  Logging in takes a password and the code from an authenticator app. A session ends at logout,
  after half an hour without use, and after a working day whatever happens.

  Background:
    Given a coach "veera" with an authenticator app

  Scenario: Logging in needs the code from the authenticator app
    When "veera" logs in with the right password but no code
    Then the login is refused
    When "veera" logs in with the right password and code
    Then "veera" is logged in

  Scenario: Logging out ends the session at once
    Given "veera" is logged in with the right password and code
    When "veera" logs out
    Then the old session cookie no longer works

  Scenario: A session ends after 30 minutes without use
    Given "veera" is logged in with the right password and code
    When 31 minutes pass without use
    Then the old session cookie no longer works

  Scenario: Repeated wrong passwords throttle further attempts
    When "veera" logs in with a wrong password 5 times
    And "veera" logs in with the right password and code
    Then the login is throttled
