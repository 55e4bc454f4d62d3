/**
 * Use cases of the usage service: authentication and account management ({@link
 * io.parley.usage.application.AccountService}), the ledger ({@link
 * io.parley.usage.application.LedgerService}) and usage and cost reports ({@link
 * io.parley.usage.application.UsageReports}).
 */
package io.parley.usage.application;
