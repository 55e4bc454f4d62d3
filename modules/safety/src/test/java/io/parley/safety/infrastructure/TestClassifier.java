package io.parley.safety.infrastructure;

import io.parley.safety.domain.ModerationModel;

/** The bundled heads and one shared encoder for the tests of this module (loaded once). */
public final class TestClassifier {

  private static OnnxSentenceEncoder encoder;
  private static ModerationModel model;

  private TestClassifier() {}

  /** The encoder, one window per ONNX run, as the heads were trained. */
  public static synchronized OnnxSentenceEncoder encoder() {
    if (encoder == null) {
      encoder = OnnxSentenceEncoder.unbatched(0);
    }
    return encoder;
  }

  /** The bundled heads. */
  public static synchronized ModerationModel model() {
    if (model == null) {
      model = HeadsFile.bundled();
    }
    return model;
  }
}
