package io.parley.usage.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.v1.TokenUsage;
import io.parley.testing.TestCertificates;
import io.parley.usage.domain.PriceTable;
import io.parley.usage.infrastructure.config.UsageSettings;
import io.parley.usage.testsupport.TestDatabases;
import io.parley.usage.v1.AuthenticateRequest;
import io.parley.usage.v1.LeaseBudgetRequest;
import io.parley.usage.v1.RecordUsageRequest;
import io.parley.usage.v1.ReserveRequest;
import io.parley.usage.v1.SettleRequest;
import io.parley.usage.v1.UsageRecord;
import io.parley.usage.v1.UsageServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole service (PostgreSQL, bootstrap, Netty gRPC on loopback) as Liberty starts it; prints
 * Reserve and Settle latencies and 500 Settles against one RecordUsage of 500; batched billing
 * refuses identities other than the gateway's.
 */
class UsageServerLoopbackTest {

  @TempDir Path dir;

  @Test
  void bootstrapKey_authenticates_andReserveSettleRoundTrip() throws Exception {
    var secret = "sk-" + "L".repeat(48);
    var keyFile = dir.resolve("admin-key");
    Files.writeString(keyFile, secret);
    var schema = TestDatabases.newSchema();
    var certs = TestCertificates.create(dir.resolve("tls"));
    var settings =
        new UsageSettings(
            "127.0.0.1",
            0,
            GrpcSecurity.of(
                certs.certFile("usage"),
                certs.keyFile("usage"),
                certs.caFile(),
                Duration.ofSeconds(30)),
            io.parley.common.grpc.ConnectionLifetime.defaults(Duration.ofSeconds(10)),
            TestDatabases.schemaUrl(schema),
            TestDatabases.postgresUser(),
            Optional.empty(),
            8,
            Optional.of(keyFile),
            "Default organization",
            "admin@localhost",
            PriceTable.parse("", "1000000/2000000"),
            Duration.ofHours(1),
            Duration.ofSeconds(60),
            Optional.empty(),
            io.parley.usage.domain.Limits.NONE,
            new io.parley.usage.domain.ModerationPolicy(false, false),
            Duration.ofDays(7),
            1);
    try (var server = UsageServer.start(settings, Clock.systemUTC());
        var gateway =
            MutualTls.load(
                GrpcSecurity.of(
                    certs.certFile("gateway"),
                    certs.keyFile("gateway"),
                    certs.caFile(),
                    Duration.ofSeconds(30)))) {
      var channel = Channels.open("127.0.0.1:" + server.port(), 1 << 20, gateway, "usage");
      try {
        var stub = UsageServiceGrpc.newBlockingStub(channel);
        var principal =
            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                .authenticate(AuthenticateRequest.newBuilder().setApiKey(secret).build());
        assertThat(principal.getRole()).isEqualTo(io.parley.usage.v1.Role.ROLE_OWNER);
        var tokens = TokenUsage.newBuilder().setPromptTokens(10).setCompletionTokens(10).build();
        int warmup = 200;
        int n = 1000;
        var reserve = new long[n];
        var settle = new long[n];
        for (int i = 0; i < warmup + n; i++) {
          var id = "lat-" + i;
          long t0 = System.nanoTime();
          stub.withDeadlineAfter(5, TimeUnit.SECONDS)
              .reserve(
                  ReserveRequest.newBuilder()
                      .setRequestId(id)
                      .setOrganization(principal.getOrganization())
                      .setApiKeyId(principal.getApiKeyId())
                      .setModel("m")
                      .setEstimated(tokens)
                      .build());
          long t1 = System.nanoTime();
          stub.withDeadlineAfter(5, TimeUnit.SECONDS)
              .settle(SettleRequest.newBuilder().setRequestId(id).setActual(tokens).build());
          long t2 = System.nanoTime();
          if (i >= warmup) {
            reserve[i - warmup] = t1 - t0;
            settle[i - warmup] = t2 - t1;
          }
        }
        Arrays.sort(reserve);
        Arrays.sort(settle);
        // The same 500 requests' worth of usage, once as 500 Settle calls and once as one
        // RecordUsage batch (a measurement, not asserted).
        int batchSize = 500;
        for (int i = 0; i < batchSize; i++) {
          stub.withDeadlineAfter(5, TimeUnit.SECONDS)
              .reserve(
                  ReserveRequest.newBuilder()
                      .setRequestId("cmp-s" + i)
                      .setOrganization(principal.getOrganization())
                      .setApiKeyId(principal.getApiKeyId())
                      .setModel("m")
                      .setEstimated(tokens)
                      .build());
        }
        long s0 = System.nanoTime();
        for (int i = 0; i < batchSize; i++) {
          stub.withDeadlineAfter(5, TimeUnit.SECONDS)
              .settle(
                  SettleRequest.newBuilder().setRequestId("cmp-s" + i).setActual(tokens).build());
        }
        long settles = System.nanoTime() - s0;
        var warmBatch = RecordUsageRequest.newBuilder();
        var batch = RecordUsageRequest.newBuilder();
        for (int i = 0; i < batchSize; i++) {
          for (var b : List.of(warmBatch, batch)) {
            b.addRecords(
                UsageRecord.newBuilder()
                    .setRequestId((b == warmBatch ? "cmp-w" : "cmp-r") + i)
                    .setOrganization(principal.getOrganization())
                    .setApiKeyId(principal.getApiKeyId())
                    .setModel("m")
                    .setUsage(tokens));
          }
        }
        stub.withDeadlineAfter(10, TimeUnit.SECONDS).recordUsage(warmBatch.build());
        long r0 = System.nanoTime();
        var recorded = stub.withDeadlineAfter(10, TimeUnit.SECONDS).recordUsage(batch.build());
        long record = System.nanoTime() - r0;
        assertThat(recorded.getResultsCount()).isEqualTo(batchSize);
        System.out.printf(
            "loopback gRPC + PostgreSQL: %d Settle calls %.1f ms; one RecordUsage of %d records"
                + " %.1f ms (%.1f× less)%n",
            batchSize, settles / 1e6, batchSize, record / 1e6, (double) settles / record);
        System.out.printf(
            "loopback gRPC + PostgreSQL over %d calls: Reserve p50 %.2f ms p99 %.2f ms;"
                + " Settle p50 %.2f ms p99 %.2f ms%n",
            n,
            reserve[n / 2] / 1e6,
            reserve[n * 99 / 100] / 1e6,
            settle[n / 2] / 1e6,
            settle[n * 99 / 100] / 1e6);
      } finally {
        Channels.close(channel);
      }
      // Batched billing is the gateway's alone: another service's identity is refused.
      try (var files =
          MutualTls.load(
              GrpcSecurity.of(
                  certs.certFile("files"),
                  certs.keyFile("files"),
                  certs.caFile(),
                  Duration.ofSeconds(30)))) {
        var other = Channels.open("127.0.0.1:" + server.port(), 1 << 20, files, "usage");
        try {
          var stub = UsageServiceGrpc.newBlockingStub(other);
          assertThatThrownBy(
                  () ->
                      stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                          .recordUsage(RecordUsageRequest.getDefaultInstance()))
              .satisfies(
                  e -> {
                    var error = GrpcErrors.parse(e);
                    assertThat(error.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(GrpcErrors.isCallerRefusal(error)).isTrue();
                  });
          assertThatThrownBy(
                  () ->
                      stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                          .leaseBudget(LeaseBudgetRequest.getDefaultInstance()))
              .satisfies(
                  e ->
                      assertThat(GrpcErrors.parse(e).code())
                          .isEqualTo(Status.Code.PERMISSION_DENIED));
        } finally {
          Channels.close(other);
        }
      }
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }
}
