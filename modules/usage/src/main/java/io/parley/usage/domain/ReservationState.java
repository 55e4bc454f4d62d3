package io.parley.usage.domain;

/** Where a request's entry in the ledger stands. */
public enum ReservationState {
  /** Worst-case cost held against the budget; not yet settled or released. */
  RESERVED("R"),
  /** Actual cost billed. */
  SETTLED("S"),
  /** Nothing billed; the reservation was returned. */
  RELEASED("X");

  private final String code;

  ReservationState(String code) {
    this.code = code;
  }

  /** One-letter code stored in the ledger. */
  public String code() {
    return code;
  }

  /** The state of a stored code. */
  public static ReservationState ofCode(String code) {
    for (var state : values()) {
      if (state.code.equals(code)) {
        return state;
      }
    }
    throw new IllegalArgumentException("Unknown reservation state " + code);
  }
}
