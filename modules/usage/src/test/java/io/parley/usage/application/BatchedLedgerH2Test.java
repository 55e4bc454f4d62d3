package io.parley.usage.application;

import io.parley.persistence.Database;
import io.parley.usage.testsupport.TestDatabases;

/** The batched ledger on embedded H2 (the local default database). */
class BatchedLedgerH2Test extends BatchedLedgerContract {

  @Override
  Database openDatabase() {
    return TestDatabases.h2();
  }

  @Override
  void closeDatabase(Database database) {
    database.close();
  }
}
