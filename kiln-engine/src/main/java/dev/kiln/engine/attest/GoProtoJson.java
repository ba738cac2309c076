package dev.kiln.engine.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A protobuf message (an LLB op, a source map) as Go's encoding/json writes the structs protoc-gen-go makes of it,
 * which is how BuildKit puts ops into a max-mode provenance: each set field under its proto name, in field-number
 * order, default values left out ({@code omitempty}); a oneof as an object under its Go field name holding its member
 * under the member's Go name ({@code "Op":{"Exec":{...}}}); enums and 64-bit numbers as numbers, bytes as base64,
 * maps with sorted keys.
 */
final class GoProtoJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GoProtoJson() {}

    static ObjectNode of(Message message) {
        ObjectNode object = NODES.objectNode();
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            boolean set = field.isRepeated()
                    ? message.getRepeatedFieldCount(field) > 0
                    : field.hasPresence() ? message.hasField(field) : !isDefault(message.getField(field));
            if (!set) {
                continue;
            }
            JsonNode value = value(field, message.getField(field));
            if (field.getRealContainingOneof() != null) {
                ObjectNode wrapper = NODES.objectNode();
                wrapper.set(goName(field.getName()), value);
                object.set(goName(field.getRealContainingOneof().getName()), wrapper);
            } else {
                object.set(field.getName(), value);
            }
        }
        return object;
    }

    private static boolean isDefault(Object value) {
        return switch (value) {
            case String text -> text.isEmpty();
            case ByteString bytes -> bytes.isEmpty();
            case Boolean bool -> !bool;
            case Integer number -> number == 0;
            case Long number -> number == 0;
            case Float number -> number == 0;
            case Double number -> number == 0;
            case EnumValueDescriptor enumValue -> enumValue.getNumber() == 0;
            default -> false;
        };
    }

    private static JsonNode value(FieldDescriptor field, Object value) {
        if (field.isMapField()) {
            Map<String, JsonNode> sorted = new TreeMap<>();
            for (Object item : (List<?>) value) {
                MapEntry<?, ?> entry = (MapEntry<?, ?>) item;
                FieldDescriptor valueField = entry.getDescriptorForType().findFieldByName("value");
                sorted.put(String.valueOf(entry.getKey()), single(valueField, entry.getValue()));
            }
            ObjectNode map = NODES.objectNode();
            sorted.forEach(map::set);
            return map;
        }
        if (field.isRepeated()) {
            ArrayNode array = NODES.arrayNode();
            for (Object item : (List<?>) value) {
                array.add(single(field, item));
            }
            return array;
        }
        return single(field, value);
    }

    private static JsonNode single(FieldDescriptor field, Object value) {
        return switch (value) {
            case Message message -> of(message);
            case String text -> NODES.textNode(text);
            case ByteString bytes -> NODES.textNode(Base64.getEncoder().encodeToString(bytes.toByteArray()));
            case Boolean bool -> NODES.booleanNode(bool);
            case Integer number -> NODES.numberNode(number);
            case Long number -> NODES.numberNode(number);
            case Float number -> NODES.numberNode(number);
            case Double number -> NODES.numberNode(number);
            case EnumValueDescriptor enumValue -> NODES.numberNode(enumValue.getNumber());
            default -> NODES.textNode(String.valueOf(value));
        };
    }

    /** protoc-gen-go's Go name of a proto name: snake_case to CamelCase, first letter upper. */
    static String goName(String protoName) {
        StringBuilder name = new StringBuilder();
        boolean upper = true;
        for (char c : protoName.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.toString();
    }
}
