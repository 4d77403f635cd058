#pragma once
/// @file A small JSON-schema validator for the keywords the providers' request schemas use:
/// type (a name or a list), nullable (OpenAPI 3.0), enum, const, properties, required,
/// additionalProperties, items, minItems/maxItems, minLength/maxLength, pattern,
/// minimum/maximum/exclusiveMinimum/exclusiveMaximum, allOf/anyOf/oneOf and
/// $ref ("#/components/schemas/<name>"). Annotations and unknown keywords are ignored, as JSON
/// Schema says; format is an annotation too.

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace polyrouter::test {

struct SchemaOptions {
  /// Treat an object schema with properties and no additionalProperties as closed: for
  /// Discovery-made documents (Gemini), whose API refuses unknown fields the document does not
  /// mark as closed.
  bool closed_objects = false;
};

class SchemaValidator {
 public:
  /// @p document holds "components": {"schemas": {...}} and "root", the schema to start from.
  explicit SchemaValidator(nlohmann::json document, SchemaOptions options = SchemaOptions())
      : document_(std::move(document)), options_(options) {
    if (!document_.contains("root") || !schemas().contains(document_["root"].get<std::string>())) {
      throw std::invalid_argument("a schema document without its root schema");
    }
  }

  /// The errors of @p instance against the root schema, each naming where ("/messages/0/role: ...").
  std::vector<std::string> errors(const nlohmann::json& instance) const {
    std::vector<std::string> out;
    check(schemas()[document_["root"].get<std::string>()], instance, "", out);
    return out;
  }
  /// The errors of @p instance against the schema named @p name.
  std::vector<std::string> errors(const nlohmann::json& instance, const std::string& name) const {
    std::vector<std::string> out;
    check(schemas().at(name), instance, "", out);
    return out;
  }

 private:
  using json = nlohmann::json;

  const json& schemas() const { return document_["components"]["schemas"]; }

  const json& resolve(const std::string& ref) const {
    const std::string prefix = "#/components/schemas/";
    if (ref.rfind(prefix, 0) != 0) throw std::invalid_argument("unsupported $ref " + ref);
    return schemas().at(ref.substr(prefix.size()));
  }

  static bool has_type(const json& instance, const std::string& type) {
    if (type == "null") return instance.is_null();
    if (type == "boolean") return instance.is_boolean();
    if (type == "object") return instance.is_object();
    if (type == "array") return instance.is_array();
    if (type == "string") return instance.is_string();
    if (type == "number") return instance.is_number();
    if (type == "integer") {
      if (instance.is_number_integer()) return true;
      if (!instance.is_number_float()) return false;
      const double value = instance.get<double>();
      return value == static_cast<double>(static_cast<long long>(value));
    }
    throw std::invalid_argument("unknown type " + type);
  }

  static std::size_t code_points(const std::string& text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
  }

  static std::string shown(const json& value) {
    std::string text = value.dump();
    return text.size() > 80 ? text.substr(0, 77) + "..." : text;
  }

  void fail(std::vector<std::string>& out, const std::string& where, const std::string& what) const {
    out.push_back((where.empty() ? std::string("(root)") : where) + ": " + what);
  }

  // Tries @p schema on @p instance apart, for the combinators.
  bool passes(const json& schema, const json& instance, const std::string& where, std::vector<std::string>& out) const {
    std::vector<std::string> mine;
    check(schema, instance, where, mine);
    out.insert(out.end(), mine.begin(), mine.end());
    return mine.empty();
  }

  void check(const json& schema, const json& instance, const std::string& where, std::vector<std::string>& out) const {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) fail(out, where, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) throw std::invalid_argument("a schema that is not an object at " + where);
    if (instance.is_null() && schema.value("nullable", false)) return;
    if (auto ref = schema.find("$ref"); ref != schema.end())
      check(resolve(ref->get<std::string>()), instance, where, out);

    if (auto type = schema.find("type"); type != schema.end()) {
      bool ok = false;
      if (type->is_string()) {
        ok = has_type(instance, type->get<std::string>());
      } else {
        for (const json& t : *type) ok = ok || has_type(instance, t.get<std::string>());
      }
      if (!ok) {
        fail(out, where, "expected type " + type->dump() + ", got " + shown(instance));
        return;  // the rest would only repeat it
      }
    }
    if (auto values = schema.find("enum"); values != schema.end()) {
      bool found = false;
      for (const json& v : *values) found = found || v == instance;
      if (!found) fail(out, where, shown(instance) + " is not one of " + shown(*values));
    }
    if (auto value = schema.find("const"); value != schema.end() && *value != instance) {
      fail(out, where, shown(instance) + " is not " + shown(*value));
    }
    if (auto all = schema.find("allOf"); all != schema.end()) {
      for (const json& s : *all) check(s, instance, where, out);
    }
    if (auto any = schema.find("anyOf"); any != schema.end()) {
      std::vector<std::string> branches;
      bool matched = false;
      for (const json& s : *any) matched = passes(s, instance, where, branches) || matched;
      if (!matched) fail(out, where, "matches no branch of anyOf: " + summary(branches));
    }
    if (auto one = schema.find("oneOf"); one != schema.end()) {
      std::vector<std::string> branches;
      int matches = 0;
      for (const json& s : *one) matches += passes(s, instance, where, branches) ? 1 : 0;
      if (matches == 0) fail(out, where, "matches no branch of oneOf: " + summary(branches));
      if (matches > 1) fail(out, where, "matches " + std::to_string(matches) + " branches of oneOf");
    }
    if (instance.is_object()) check_object(schema, instance, where, out);
    if (instance.is_array()) check_array(schema, instance, where, out);
    if (instance.is_string()) check_string(schema, instance.get_ref<const std::string&>(), where, out);
    if (instance.is_number()) check_number(schema, instance.get<double>(), where, out);
  }

  static std::string summary(const std::vector<std::string>& branches) {
    std::string text;
    for (std::size_t i = 0; i < branches.size() && i < 4; ++i) text += (i ? "; " : "") + branches[i];
    if (branches.size() > 4) text += "; ...";
    return text;
  }

  void check_object(const json& schema, const json& instance, const std::string& where,
                    std::vector<std::string>& out) const {
    const auto properties = schema.find("properties");
    if (auto required = schema.find("required"); required != schema.end()) {
      for (const json& name : *required) {
        if (!instance.contains(name.get<std::string>())) fail(out, where, "missing required field " + name.dump());
      }
    }
    const auto additional = schema.find("additionalProperties");
    const bool closed = (additional != schema.end() && additional->is_boolean() && !additional->get<bool>()) ||
                        (options_.closed_objects && additional == schema.end() && properties != schema.end());
    for (auto it = instance.begin(); it != instance.end(); ++it) {
      const std::string at = where + "/" + it.key();
      if (properties != schema.end() && properties->contains(it.key())) {
        check((*properties)[it.key()], it.value(), at, out);
      } else if (closed) {
        fail(out, at, "a field the schema does not allow");
      } else if (additional != schema.end() && additional->is_object()) {
        check(*additional, it.value(), at, out);
      }
    }
  }

  void check_array(const json& schema, const json& instance, const std::string& where,
                   std::vector<std::string>& out) const {
    if (auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < instance.size(); ++i)
        check(*items, instance[i], where + "/" + std::to_string(i), out);
    }
    if (auto min = schema.find("minItems"); min != schema.end() && instance.size() < min->get<std::size_t>()) {
      fail(out, where, "fewer than " + min->dump() + " items");
    }
    if (auto max = schema.find("maxItems"); max != schema.end() && instance.size() > max->get<std::size_t>()) {
      fail(out, where, "more than " + max->dump() + " items");
    }
  }

  void check_string(const json& schema, const std::string& text, const std::string& where,
                    std::vector<std::string>& out) const {
    if (auto min = schema.find("minLength"); min != schema.end() && code_points(text) < min->get<std::size_t>()) {
      fail(out, where, "shorter than " + min->dump());
    }
    if (auto max = schema.find("maxLength"); max != schema.end() && code_points(text) > max->get<std::size_t>()) {
      fail(out, where, "longer than " + max->dump());
    }
    if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
      if (!std::regex_search(text, std::regex(pattern->get<std::string>(), std::regex::ECMAScript))) {
        fail(out, where, shown(text) + " does not match " + pattern->dump());
      }
    }
  }

  void check_number(const json& schema, double value, const std::string& where, std::vector<std::string>& out) const {
    const auto exclusive_min = schema.find("exclusiveMinimum");
    const auto exclusive_max = schema.find("exclusiveMaximum");
    if (auto min = schema.find("minimum"); min != schema.end()) {
      const bool strict = exclusive_min != schema.end() && exclusive_min->is_boolean() && exclusive_min->get<bool>();
      if (strict ? value <= min->get<double>() : value < min->get<double>()) fail(out, where, "below " + min->dump());
    }
    if (auto max = schema.find("maximum"); max != schema.end()) {
      const bool strict = exclusive_max != schema.end() && exclusive_max->is_boolean() && exclusive_max->get<bool>();
      if (strict ? value >= max->get<double>() : value > max->get<double>()) fail(out, where, "above " + max->dump());
    }
    if (exclusive_min != schema.end() && exclusive_min->is_number() && value <= exclusive_min->get<double>()) {
      fail(out, where, "not above " + exclusive_min->dump());
    }
    if (exclusive_max != schema.end() && exclusive_max->is_number() && value >= exclusive_max->get<double>()) {
      fail(out, where, "not below " + exclusive_max->dump());
    }
  }

  json document_;
  SchemaOptions options_;
};

}  // namespace polyrouter::test
