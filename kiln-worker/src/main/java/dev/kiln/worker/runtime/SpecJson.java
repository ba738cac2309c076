package dev.kiln.worker.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.List;

/**
 * Writes the {@link OciSpec} records as JSON: record components become fields (null ones left out), lists become
 * arrays. A general JSON library would do the same at a cost of several hundred milliseconds on its first use in
 * a JVM, paid by the first RUN step of a build; this takes a millisecond.
 */
final class SpecJson {
  private SpecJson() {}

  static String write(Record value) {
    StringBuilder out = new StringBuilder(4096);
    writeValue(out, value);
    return out.toString();
  }

  private static void writeValue(StringBuilder out, Object value) {
    switch (value) {
      case String text -> writeString(out, text);
      case Boolean flag -> out.append(flag.booleanValue());
      case Integer number -> out.append(number.intValue());
      case Long number -> out.append(number.longValue());
      case java.math.BigInteger number -> out.append(number);
      case List<?> list -> {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          writeValue(out, list.get(i));
        }
        out.append(']');
      }
      case Record record -> writeRecord(out, record);
      default -> throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
  }

  private static void writeRecord(StringBuilder out, Record record) {
    out.append('{');
    boolean first = true;
    for (RecordComponent component : record.getClass().getRecordComponents()) {
      Object field;
      try {
        field = component.getAccessor().invoke(record);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("cannot read " + component.getName() + " of " + record.getClass(), e);
      }
      if (field == null) {
        continue;
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(out, component.getName());
      out.append(':');
      writeValue(out, field);
    }
    out.append('}');
  }

  static void writeString(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append("\\u%04x".formatted((int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
