package io.parley.usage.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.FILES;
import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.usage.v1.UsageServiceGrpc;

/**
 * Who may call each usage method.
 *
 * <ul>
 *   <li>Key checks: the gateway only.
 *   <li>Administration (organizations, members, invitations, keys, service accounts, limits,
 *       moderation policies) and reports: the gateway, which acts for a caller it has authorized,
 *       and operators.
 *   <li>Billing (reserve, settle, release): the gateway. The files service may settle too: it
 *       records the trained tokens of a finished fine-tuning job (a settle without reservation,
 *       idempotent by a request id made from the job id).
 *   <li>Batched billing (record usage, lease and return budget, the price table): the gateway only.
 * </ul>
 */
public final class UsageCallers {

  /** The allow-lists. */
  public static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(UsageServiceGrpc.getAuthenticateMethod(), GATEWAY)
          .allow(
              java.util.List.of(
                  UsageServiceGrpc.getCreateOrganizationMethod(),
                  UsageServiceGrpc.getListOrganizationsMethod(),
                  UsageServiceGrpc.getPutMemberMethod(),
                  UsageServiceGrpc.getRemoveMemberMethod(),
                  UsageServiceGrpc.getListMembersMethod(),
                  UsageServiceGrpc.getCreateApiKeyMethod(),
                  UsageServiceGrpc.getListApiKeysMethod(),
                  UsageServiceGrpc.getRevokeApiKeyMethod(),
                  UsageServiceGrpc.getSetLimitsMethod(),
                  UsageServiceGrpc.getGetLimitsMethod(),
                  UsageServiceGrpc.getGetBudgetMethod(),
                  UsageServiceGrpc.getQueryUsageMethod(),
                  UsageServiceGrpc.getQueryCostsMethod(),
                  UsageServiceGrpc.getListNotificationsMethod(),
                  UsageServiceGrpc.getUpdateMemberRoleMethod(),
                  UsageServiceGrpc.getCreateInviteMethod(),
                  UsageServiceGrpc.getListInvitesMethod(),
                  UsageServiceGrpc.getGetInviteMethod(),
                  UsageServiceGrpc.getDeleteInviteMethod(),
                  UsageServiceGrpc.getAcceptInviteMethod(),
                  UsageServiceGrpc.getCreateServiceAccountMethod(),
                  UsageServiceGrpc.getListServiceAccountsMethod(),
                  UsageServiceGrpc.getDeleteServiceAccountMethod(),
                  UsageServiceGrpc.getGetModerationPolicyMethod(),
                  UsageServiceGrpc.getSetModerationPolicyMethod()),
              GATEWAY,
              OPERATOR)
          .allow(
              java.util.List.of(
                  UsageServiceGrpc.getReserveMethod(), UsageServiceGrpc.getReleaseMethod()),
              GATEWAY)
          .allow(UsageServiceGrpc.getSettleMethod(), GATEWAY, FILES)
          .allow(
              java.util.List.of(
                  UsageServiceGrpc.getRecordUsageMethod(),
                  UsageServiceGrpc.getLeaseBudgetMethod(),
                  UsageServiceGrpc.getReturnLeaseMethod(),
                  UsageServiceGrpc.getGetPricesMethod()),
              GATEWAY)
          .build();

  private UsageCallers() {}
}
