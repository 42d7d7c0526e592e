package dev.sparkdistill.jobs;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Counts, while open, the lines one class logs that contain a text: what a test reads of a job's
 * behaviour that only its log shows (how often executors loaded a model). Counts the lines of
 * every thread of this JVM, Spark's local task threads included.
 */
public final class LogLines implements AutoCloseable {
  private final LoggerContext context;
  private final LoggerConfig config;
  private final AbstractAppender appender;
  private final AtomicInteger count = new AtomicInteger();

  private LogLines(Class<?> source, String containing) {
    context = (LoggerContext) LogManager.getContext(false);
    config = context.getConfiguration().getLoggerConfig(source.getName());
    appender = new AbstractAppender("count-" + source.getSimpleName() + "-" + System.nanoTime(),
        null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        if (event.getLoggerName().equals(source.getName())
            && event.getMessage().getFormattedMessage().contains(containing)) {
          count.incrementAndGet();
        }
      }
    };
    appender.start();
    config.addAppender(appender, null, null);
    context.updateLoggers();
  }

  /** Starts counting the lines {@code source} logs that contain {@code containing}. */
  public static LogLines of(Class<?> source, String containing) {
    return new LogLines(source, containing);
  }

  public int count() {
    return count.get();
  }

  @Override
  public void close() {
    config.removeAppender(appender.getName());
    context.updateLoggers();
    appender.stop();
  }
}
