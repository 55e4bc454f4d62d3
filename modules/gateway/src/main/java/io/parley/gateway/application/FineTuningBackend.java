package io.parley.gateway.application;

import io.parley.finetuning.v1.CreateJobRequest;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.ListJobCheckpointsRequest;
import io.parley.finetuning.v1.ListJobCheckpointsResponse;
import io.parley.finetuning.v1.ListJobEventsRequest;
import io.parley.finetuning.v1.ListJobEventsResponse;
import io.parley.finetuning.v1.ListJobsRequest;
import io.parley.finetuning.v1.ListJobsResponse;

/**
 * The files service's fine-tuning jobs as the gateway's use cases see them (implemented by the gRPC
 * client, on the files channel). Every method fails with a {@link
 * io.parley.gateway.domain.GatewayException}.
 */
public interface FineTuningBackend {

  /** Checks and queues a job. */
  Job create(CreateJobRequest request);

  /** One job of an organization. */
  Job get(String organization, String jobId);

  /** A page of an organization's jobs. */
  ListJobsResponse list(ListJobsRequest request);

  /** Cancels a job. */
  Job cancel(String organization, String jobId);

  /** Pauses a job. */
  Job pause(String organization, String jobId);

  /** Resumes a paused job. */
  Job resume(String organization, String jobId);

  /** A page of a job's events. */
  ListJobEventsResponse events(ListJobEventsRequest request);

  /** A page of a job's checkpoints. */
  ListJobCheckpointsResponse checkpoints(ListJobCheckpointsRequest request);
}
