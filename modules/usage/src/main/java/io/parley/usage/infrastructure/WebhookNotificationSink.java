package io.parley.usage.infrastructure;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.usage.application.NotificationSink;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.Notification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;

/**
 * Posts each notification as JSON to a webhook, in the background, retrying a few times; records
 * the delivery time once the webhook answers 2xx.
 */
public final class WebhookNotificationSink implements NotificationSink {

  private static final System.Logger LOG =
      System.getLogger(WebhookNotificationSink.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 3;

  private final URI url;
  private final LedgerRepository ledger;
  private final Clock clock;
  private final HttpClient http;

  public WebhookNotificationSink(URI url, LedgerRepository ledger, Clock clock) {
    this.url = url;
    this.ledger = ledger;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public void deliver(Notification n) {
    Thread.ofVirtual().name("parley-usage-webhook").start(() -> post(n));
  }

  private void post(Notification n) {
    var body = new LinkedHashMap<String, Object>();
    body.put("id", n.id());
    body.put("object", "organization.notification");
    body.put("type", n.kind());
    body.put("organization_id", n.organizationId());
    body.put("period_start", n.periodStart());
    body.put("threshold_micros", n.thresholdMicros());
    body.put("amount_micros", n.amountMicros());
    body.put("created_at", n.createdAt());
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        var request =
            HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        var response = http.send(request, HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() / 100 == 2) {
          ledger.markDelivered(n.id(), Math.max(1, clock.millis() / 1000));
          return;
        }
        LOG.log(
            System.Logger.Level.WARNING,
            "Webhook answered {0} for notification {1}",
            response.statusCode(),
            n.id());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "Webhook failed for notification {0}: {1}",
            n.id(),
            e.toString());
      }
      try {
        Thread.sleep(1000L * attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
