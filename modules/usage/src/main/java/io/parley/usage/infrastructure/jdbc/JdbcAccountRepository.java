package io.parley.usage.infrastructure.jdbc;

import io.parley.common.ids.Ids;
import io.parley.persistence.Jdbc;
import io.parley.usage.domain.AccountRepository;
import io.parley.usage.domain.ApiKeyInfo;
import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.Invite;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.Member;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Organization;
import io.parley.usage.domain.OrganizationMembership;
import io.parley.usage.domain.Person;
import io.parley.usage.domain.Role;
import io.parley.usage.domain.ServiceAccount;
import io.parley.usage.domain.StoredApiKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Organizations, users (people and service accounts), memberships, invitations, keys, limits and
 * moderation policies on JDBC.
 */
public final class JdbcAccountRepository implements AccountRepository {

  private static final HexFormat HEX = HexFormat.of();
  private static final String KEY_COLUMNS =
      "id, name, redacted_value, organization_id, user_id, created_at, last_used_at, expires_at,"
          + " revoked_at";

  private static final String INVITE_COLUMNS =
      "id, organization_id, email, role, invited_by, invited_at, expires_at, accepted_at";

  private final Jdbc jdbc;
  private final Limits defaultLimits;

  /**
   * @param jdbc the database
   * @param defaultLimits the tier every new organization starts with, and the limits of those that
   *     never had any set
   */
  public JdbcAccountRepository(Jdbc jdbc, Limits defaultLimits) {
    this.jdbc = jdbc;
    this.defaultLimits = defaultLimits;
  }

  @Override
  public boolean noOrganizations() {
    return jdbc.autoCommit(
        c -> {
          try (var st = c.prepareStatement("SELECT 1 FROM organizations");
              var rs = limitOne(st).executeQuery()) {
            return !rs.next();
          }
        });
  }

  private static java.sql.PreparedStatement limitOne(java.sql.PreparedStatement st)
      throws SQLException {
    st.setMaxRows(1);
    return st;
  }

  @Override
  public Optional<Organization> organization(String id) {
    return jdbc.autoCommit(c -> findOrganization(c, id));
  }

  private static Optional<Organization> findOrganization(Connection c, String id)
      throws SQLException {
    try (var st =
        c.prepareStatement("SELECT id, name, created_at FROM organizations WHERE id = ?")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        return rs.next()
            ? Optional.of(new Organization(rs.getString(1), rs.getString(2), rs.getLong(3)))
            : Optional.empty();
      }
    }
  }

  @Override
  public String resolveUser(String idOrEmail, long nowSeconds) {
    if (idOrEmail.startsWith("user-")) {
      return jdbc.autoCommit(
          c -> {
            try (var st = c.prepareStatement("SELECT id FROM users WHERE id = ?")) {
              st.setString(1, idOrEmail);
              try (var rs = st.executeQuery()) {
                if (!rs.next()) {
                  throw NotFoundException.user(idOrEmail);
                }
                return rs.getString(1);
              }
            }
          });
    }
    var email = idOrEmail.trim().toLowerCase(Locale.ROOT);
    for (int attempt = 0; ; attempt++) {
      var found = jdbc.autoCommit(c -> userByEmail(c, email));
      if (found.isPresent()) {
        return found.get();
      }
      var id = Ids.next("user-");
      try {
        jdbc.autoCommit(
            c -> {
              try (var st =
                  c.prepareStatement(
                      "INSERT INTO users (id, email, created_at) VALUES (?, ?, ?)")) {
                st.setString(1, id);
                st.setString(2, email);
                st.setLong(3, nowSeconds);
                return st.executeUpdate();
              }
            });
        return id;
      } catch (Jdbc.DuplicateKey e) {
        if (attempt > 2) {
          throw e;
        }
      }
    }
  }

  private static Optional<String> userByEmail(Connection c, String email) throws SQLException {
    try (var st = c.prepareStatement("SELECT id FROM users WHERE email = ?")) {
      st.setString(1, email);
      try (var rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  @Override
  public Organization createOrganization(
      String name,
      String ownerUserId,
      Optional<String> createdBy,
      int maxPerCreator,
      long nowSeconds) {
    return jdbc.inTransaction(
        c -> {
          if (createdBy.isPresent() && maxPerCreator > 0) {
            // Locks the creator's row: concurrent creations by one person are counted one by one.
            try (var st = c.prepareStatement("SELECT id FROM users WHERE id = ? FOR UPDATE")) {
              st.setString(1, createdBy.get());
              try (var rs = st.executeQuery()) {
                if (!rs.next()) {
                  throw NotFoundException.user(createdBy.get());
                }
              }
            }
            try (var st =
                c.prepareStatement("SELECT COUNT(*) FROM organizations WHERE created_by = ?")) {
              st.setString(1, createdBy.get());
              try (var rs = st.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= maxPerCreator) {
                  throw ConflictException.organizationLimit(maxPerCreator);
                }
              }
            }
          }
          var org = new Organization(Ids.next("org-"), name, nowSeconds);
          try (var st =
              c.prepareStatement(
                  "INSERT INTO organizations (id, name, created_at, created_by)"
                      + " VALUES (?, ?, ?, ?)")) {
            st.setString(1, org.id());
            st.setString(2, name);
            st.setLong(3, nowSeconds);
            st.setString(4, createdBy.orElse(null));
            st.executeUpdate();
          }
          insertMember(c, org.id(), ownerUserId, Role.OWNER, nowSeconds);
          setDefaultOrganization(c, ownerUserId, org.id());
          writeLimits(c, org.id(), defaultLimits, nowSeconds);
          return org;
        });
  }

  private static void setDefaultOrganization(Connection c, String userId, String organizationId)
      throws SQLException {
    try (var st =
        c.prepareStatement(
            "UPDATE users SET default_organization_id = ?"
                + " WHERE id = ? AND default_organization_id IS NULL")) {
      st.setString(1, organizationId);
      st.setString(2, userId);
      st.executeUpdate();
    }
  }

  private static void insertMember(
      Connection c, String organizationId, String userId, Role role, long nowSeconds)
      throws SQLException {
    try (var st =
        c.prepareStatement(
            "INSERT INTO memberships (organization_id, user_id, role, added_at)"
                + " VALUES (?, ?, ?, ?)")) {
      st.setString(1, organizationId);
      st.setString(2, userId);
      st.setString(3, role.name());
      st.setLong(4, nowSeconds);
      st.executeUpdate();
    }
  }

  @Override
  public List<OrganizationMembership> organizationsOf(String userId) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT o.id, o.name, o.created_at, m.role,"
                      + " CASE WHEN u.default_organization_id = o.id THEN 1 ELSE 0 END"
                      + " FROM memberships m JOIN organizations o ON o.id = m.organization_id"
                      + " JOIN users u ON u.id = m.user_id WHERE m.user_id = ? ORDER BY o.name,"
                      + " o.id")) {
            st.setString(1, userId);
            var list = new ArrayList<OrganizationMembership>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(
                    new OrganizationMembership(
                        new Organization(rs.getString(1), rs.getString(2), rs.getLong(3)),
                        Role.valueOf(rs.getString(4)),
                        rs.getInt(5) == 1));
              }
            }
            return list;
          }
        });
  }

  @Override
  public void putMember(String organizationId, String userId, Role role, long nowSeconds) {
    jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          var current = roleOf(c, organizationId, userId);
          if (current.isEmpty()) {
            insertMember(c, organizationId, userId, role, nowSeconds);
          } else if (current.get() != role) {
            if (current.get() == Role.OWNER && owners(c, organizationId) <= 1) {
              throw ConflictException.lastOwner();
            }
            try (var st =
                c.prepareStatement(
                    "UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?")) {
              st.setString(1, role.name());
              st.setString(2, organizationId);
              st.setString(3, userId);
              st.executeUpdate();
            }
          }
          try (var st =
              c.prepareStatement(
                  "UPDATE users SET default_organization_id = ?"
                      + " WHERE id = ? AND default_organization_id IS NULL")) {
            st.setString(1, organizationId);
            st.setString(2, userId);
            st.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public boolean removeMember(String organizationId, String userId) {
    return jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          var current = roleOf(c, organizationId, userId);
          if (current.isEmpty()) {
            return false;
          }
          if (current.get() == Role.OWNER && owners(c, organizationId) <= 1) {
            throw ConflictException.lastOwner();
          }
          try (var st =
              c.prepareStatement(
                  "DELETE FROM memberships WHERE organization_id = ? AND user_id = ?")) {
            st.setString(1, organizationId);
            st.setString(2, userId);
            st.executeUpdate();
          }
          try (var st =
              c.prepareStatement(
                  "UPDATE users SET default_organization_id = NULL"
                      + " WHERE id = ? AND default_organization_id = ?")) {
            st.setString(1, userId);
            st.setString(2, organizationId);
            st.executeUpdate();
          }
          return true;
        });
  }

  /** Serializes membership changes of one organization (the last-owner rule). */
  private static void lockOrganization(Connection c, String organizationId) throws SQLException {
    try (var st = c.prepareStatement("SELECT id FROM organizations WHERE id = ? FOR UPDATE")) {
      st.setString(1, organizationId);
      try (var rs = st.executeQuery()) {
        if (!rs.next()) {
          throw NotFoundException.organization(organizationId);
        }
      }
    }
  }

  private static int owners(Connection c, String organizationId) throws SQLException {
    try (var st =
        c.prepareStatement(
            "SELECT COUNT(*) FROM memberships WHERE organization_id = ? AND role = 'OWNER'")) {
      st.setString(1, organizationId);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Override
  public List<Member> members(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT u.id, u.email, m.role, m.added_at FROM memberships m"
                      + " JOIN users u ON u.id = m.user_id WHERE m.organization_id = ?"
                      + " AND u.kind = 'person' ORDER BY u.email")) {
            st.setString(1, organizationId);
            var list = new ArrayList<Member>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(
                    new Member(
                        rs.getString(1),
                        rs.getString(2),
                        Role.valueOf(rs.getString(3)),
                        rs.getLong(4)));
              }
            }
            return list;
          }
        });
  }

  @Override
  public Optional<Role> roleOf(String organizationId, String userId) {
    return jdbc.autoCommit(c -> roleOf(c, organizationId, userId));
  }

  private static Optional<Role> roleOf(Connection c, String organizationId, String userId)
      throws SQLException {
    try (var st =
        c.prepareStatement(
            "SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?")) {
      st.setString(1, organizationId);
      st.setString(2, userId);
      try (var rs = st.executeQuery()) {
        return rs.next() ? Optional.of(Role.valueOf(rs.getString(1))) : Optional.empty();
      }
    }
  }

  @Override
  public void insertApiKey(ApiKeyInfo info, byte[] secretHash, String lookupPrefix) {
    jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "INSERT INTO api_keys (id, lookup_prefix, secret_sha256, redacted_value, name,"
                      + " organization_id, user_id, created_at, last_used_at, expires_at,"
                      + " revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            st.setString(1, info.id());
            st.setString(2, lookupPrefix);
            st.setString(3, HEX.formatHex(secretHash));
            st.setString(4, info.redactedValue());
            st.setString(5, info.name());
            st.setString(6, info.organizationId());
            st.setString(7, info.userId());
            st.setLong(8, info.createdAt());
            st.setLong(9, info.lastUsedAt());
            st.setLong(10, info.expiresAt());
            st.setLong(11, info.revokedAt());
            return st.executeUpdate();
          }
        });
  }

  @Override
  public List<StoredApiKey> apiKeysByPrefix(String lookupPrefix) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT "
                      + KEY_COLUMNS
                      + ", secret_sha256 FROM api_keys WHERE lookup_prefix = ?")) {
            st.setString(1, lookupPrefix);
            var list = new ArrayList<StoredApiKey>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(new StoredApiKey(keyInfo(rs), HEX.parseHex(rs.getString(10))));
              }
            }
            return list;
          }
        });
  }

  @Override
  public boolean apiKeyHashExists(byte[] secretHash) {
    return jdbc.autoCommit(
        c -> {
          try (var st = c.prepareStatement("SELECT 1 FROM api_keys WHERE secret_sha256 = ?")) {
            st.setString(1, HEX.formatHex(secretHash));
            try (var rs = st.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Override
  public Optional<ApiKeyInfo> apiKey(String id) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement("SELECT " + KEY_COLUMNS + " FROM api_keys WHERE id = ?")) {
            st.setString(1, id);
            try (var rs = st.executeQuery()) {
              return rs.next() ? Optional.of(keyInfo(rs)) : Optional.<ApiKeyInfo>empty();
            }
          }
        });
  }

  @Override
  public List<ApiKeyInfo> apiKeys(
      String organizationId, Optional<String> userId, boolean includeRevoked) {
    return jdbc.autoCommit(
        c -> {
          var sql =
              new StringBuilder(
                  "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE organization_id = ?");
          if (userId.isPresent()) {
            sql.append(" AND user_id = ?");
          }
          if (!includeRevoked) {
            sql.append(" AND revoked_at = 0");
          }
          sql.append(" ORDER BY created_at DESC, id");
          try (var st = c.prepareStatement(sql.toString())) {
            st.setString(1, organizationId);
            if (userId.isPresent()) {
              st.setString(2, userId.get());
            }
            var list = new ArrayList<ApiKeyInfo>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(keyInfo(rs));
              }
            }
            return list;
          }
        });
  }

  @Override
  public boolean revokeApiKey(
      String organizationId, String keyId, Optional<String> userId, long nowSeconds) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ?"
                      + " ELSE revoked_at END WHERE id = ? AND organization_id = ?"
                      + (userId.isPresent() ? " AND user_id = ?" : ""))) {
            st.setLong(1, nowSeconds);
            st.setString(2, keyId);
            st.setString(3, organizationId);
            if (userId.isPresent()) {
              st.setString(4, userId.get());
            }
            return st.executeUpdate() > 0;
          }
        });
  }

  @Override
  public void touchApiKey(String keyId, long nowSeconds, long olderThanSeconds) {
    jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?")) {
            st.setLong(1, nowSeconds);
            st.setString(2, keyId);
            st.setLong(3, nowSeconds - olderThanSeconds);
            return st.executeUpdate();
          }
        });
  }

  private static ApiKeyInfo keyInfo(ResultSet rs) throws SQLException {
    return new ApiKeyInfo(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getLong(7),
        rs.getLong(8),
        rs.getLong(9));
  }

  @Override
  public Limits limits(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          var models = new ArrayList<Limits.ModelRateLimit>();
          try (var st =
              c.prepareStatement(
                  "SELECT model, requests_per_minute, tokens_per_minute FROM model_limits"
                      + " WHERE organization_id = ? ORDER BY model")) {
            st.setString(1, organizationId);
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                models.add(
                    new Limits.ModelRateLimit(rs.getString(1), rs.getLong(2), rs.getLong(3)));
              }
            }
          }
          try (var st =
              c.prepareStatement(
                  "SELECT requests_per_minute, tokens_per_minute, soft_limit_micros,"
                      + " hard_limit_micros FROM organization_limits WHERE organization_id = ?")) {
            st.setString(1, organizationId);
            try (var rs = st.executeQuery()) {
              if (!rs.next()) {
                return defaultLimits;
              }
              return new Limits(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), models);
            }
          }
        });
  }

  @Override
  public void setLimits(String organizationId, Limits limits, long nowSeconds) {
    jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          writeLimits(c, organizationId, limits, nowSeconds);
          return null;
        });
  }

  private static void writeLimits(
      Connection c, String organizationId, Limits limits, long nowSeconds) throws SQLException {
    try (var st = c.prepareStatement("DELETE FROM organization_limits WHERE organization_id = ?")) {
      st.setString(1, organizationId);
      st.executeUpdate();
    }
    try (var st = c.prepareStatement("DELETE FROM model_limits WHERE organization_id = ?")) {
      st.setString(1, organizationId);
      st.executeUpdate();
    }
    try (var st =
        c.prepareStatement(
            "INSERT INTO organization_limits (organization_id, requests_per_minute,"
                + " tokens_per_minute, soft_limit_micros, hard_limit_micros, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")) {
      st.setString(1, organizationId);
      st.setLong(2, limits.requestsPerMinute());
      st.setLong(3, limits.tokensPerMinute());
      st.setLong(4, limits.softLimitMicros());
      st.setLong(5, limits.hardLimitMicros());
      st.setLong(6, nowSeconds);
      st.executeUpdate();
    }
    try (var st =
        c.prepareStatement(
            "INSERT INTO model_limits (organization_id, model, requests_per_minute,"
                + " tokens_per_minute) VALUES (?, ?, ?, ?)")) {
      for (var m : limits.modelLimits()) {
        st.setString(1, organizationId);
        st.setString(2, m.model());
        st.setLong(3, m.requestsPerMinute());
        st.setLong(4, m.tokensPerMinute());
        st.addBatch();
      }
      if (!limits.modelLimits().isEmpty()) {
        st.executeBatch();
      }
    }
  }

  @Override
  public Optional<BootstrapOwner> bootstrap(
      String organizationName, String ownerEmail, long nowSeconds) {
    var existing = jdbc.autoCommit(JdbcAccountRepository::bootstrapRow);
    if (existing.isPresent()) {
      return existing;
    }
    if (!noOrganizations()) {
      return Optional.empty();
    }
    var ownerId = resolveUser(ownerEmail, nowSeconds);
    try {
      return jdbc.inTransaction(
          c -> {
            // The primary key makes the claim unique across replicas; the loser rolls back.
            try (var st =
                c.prepareStatement(
                    "INSERT INTO bootstrap (id, organization_id, user_id, created_at)"
                        + " VALUES (1, ?, ?, ?)")) {
              var org = Ids.next("org-");
              st.setString(1, org);
              st.setString(2, ownerId);
              st.setLong(3, nowSeconds);
              st.executeUpdate();
              try (var insert =
                  c.prepareStatement(
                      "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)")) {
                insert.setString(1, org);
                insert.setString(2, organizationName);
                insert.setLong(3, nowSeconds);
                insert.executeUpdate();
              }
              insertMember(c, org, ownerId, Role.OWNER, nowSeconds);
              try (var update =
                  c.prepareStatement(
                      "UPDATE users SET default_organization_id = ?"
                          + " WHERE id = ? AND default_organization_id IS NULL")) {
                update.setString(1, org);
                update.setString(2, ownerId);
                update.executeUpdate();
              }
              return Optional.of(new BootstrapOwner(org, ownerId));
            }
          });
    } catch (Jdbc.DuplicateKey e) {
      return jdbc.autoCommit(JdbcAccountRepository::bootstrapRow);
    }
  }

  @Override
  public Optional<Person> person(String userId) {
    return jdbc.autoCommit(
        c -> {
          try (var st = c.prepareStatement("SELECT id, email, kind FROM users WHERE id = ?")) {
            st.setString(1, userId);
            try (var rs = st.executeQuery()) {
              return rs.next()
                  ? Optional.of(
                      new Person(
                          rs.getString(1),
                          rs.getString(2),
                          "service_account".equals(rs.getString(3))))
                  : Optional.<Person>empty();
            }
          }
        });
  }

  @Override
  public boolean updateMemberRole(String organizationId, String userId, Role role) {
    return jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          var current = roleOf(c, organizationId, userId);
          if (current.isEmpty()) {
            return false;
          }
          if (current.get() == Role.OWNER && role != Role.OWNER && owners(c, organizationId) <= 1) {
            throw ConflictException.lastOwner();
          }
          try (var st =
              c.prepareStatement(
                  "UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?")) {
            st.setString(1, role.name());
            st.setString(2, organizationId);
            st.setString(3, userId);
            st.executeUpdate();
          }
          return true;
        });
  }

  @Override
  public void insertInvite(Invite invite) {
    jdbc.inTransaction(
        c -> {
          lockOrganization(c, invite.organizationId());
          try (var st =
              c.prepareStatement(
                  "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id"
                      + " WHERE m.organization_id = ? AND u.email = ?")) {
            st.setString(1, invite.organizationId());
            st.setString(2, invite.email());
            try (var rs = st.executeQuery()) {
              if (rs.next()) {
                throw ConflictException.alreadyMember();
              }
            }
          }
          try (var st =
              c.prepareStatement(
                  "SELECT 1 FROM invites WHERE organization_id = ? AND email = ?"
                      + " AND accepted_at = 0 AND expires_at > ?")) {
            st.setString(1, invite.organizationId());
            st.setString(2, invite.email());
            st.setLong(3, invite.invitedAt());
            try (var rs = st.executeQuery()) {
              if (rs.next()) {
                throw ConflictException.inviteExists();
              }
            }
          }
          try (var st =
              c.prepareStatement(
                  "INSERT INTO invites (" + INVITE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            st.setString(1, invite.id());
            st.setString(2, invite.organizationId());
            st.setString(3, invite.email());
            st.setString(4, invite.role().name());
            st.setString(5, invite.invitedBy());
            st.setLong(6, invite.invitedAt());
            st.setLong(7, invite.expiresAt());
            st.setLong(8, invite.acceptedAt());
            st.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Invite> invites(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT "
                      + INVITE_COLUMNS
                      + " FROM invites WHERE organization_id = ? ORDER BY invited_at DESC, id")) {
            st.setString(1, organizationId);
            var list = new ArrayList<Invite>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(invite(rs));
              }
            }
            return list;
          }
        });
  }

  @Override
  public Optional<Invite> invite(String id) {
    return jdbc.autoCommit(c -> findInvite(c, id, false));
  }

  private static Optional<Invite> findInvite(Connection c, String id, boolean lock)
      throws SQLException {
    try (var st =
        c.prepareStatement(
            "SELECT "
                + INVITE_COLUMNS
                + " FROM invites WHERE id = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        return rs.next() ? Optional.of(invite(rs)) : Optional.empty();
      }
    }
  }

  private static Invite invite(ResultSet rs) throws SQLException {
    return new Invite(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        Role.valueOf(rs.getString(4)),
        rs.getString(5),
        rs.getLong(6),
        rs.getLong(7),
        rs.getLong(8));
  }

  @Override
  public boolean deleteInvite(String organizationId, String id) {
    return jdbc.inTransaction(
        c -> {
          var found = findInvite(c, id, true);
          if (found.isEmpty() || !found.get().organizationId().equals(organizationId)) {
            return false;
          }
          if (found.get().acceptedAt() != 0) {
            throw ConflictException.inviteNotPending();
          }
          try (var st = c.prepareStatement("DELETE FROM invites WHERE id = ?")) {
            st.setString(1, id);
            st.executeUpdate();
          }
          return true;
        });
  }

  @Override
  public Invite acceptInvite(String id, String userId, long nowSeconds) {
    return jdbc.inTransaction(
        c -> {
          var invite = findInvite(c, id, true).orElseThrow(() -> NotFoundException.invite(id));
          if (invite.statusAt(nowSeconds) != io.parley.usage.domain.InviteStatus.PENDING) {
            throw ConflictException.inviteNotPending();
          }
          lockOrganization(c, invite.organizationId());
          if (roleOf(c, invite.organizationId(), userId).isEmpty()) {
            insertMember(c, invite.organizationId(), userId, invite.role(), nowSeconds);
          }
          setDefaultOrganization(c, userId, invite.organizationId());
          try (var st =
              c.prepareStatement(
                  "UPDATE invites SET accepted_at = ?, accepted_by = ? WHERE id = ?")) {
            st.setLong(1, nowSeconds);
            st.setString(2, userId);
            st.setString(3, id);
            st.executeUpdate();
          }
          return new Invite(
              invite.id(),
              invite.organizationId(),
              invite.email(),
              invite.role(),
              invite.invitedBy(),
              invite.invitedAt(),
              invite.expiresAt(),
              nowSeconds);
        });
  }

  @Override
  public void insertServiceAccount(ServiceAccount account) {
    jdbc.inTransaction(
        c -> {
          lockOrganization(c, account.organizationId());
          try (var st =
              c.prepareStatement(
                  "INSERT INTO users (id, email, default_organization_id, created_at, kind, name)"
                      + " VALUES (?, ?, ?, ?, 'service_account', ?)")) {
            st.setString(1, account.id());
            st.setString(2, account.id());
            st.setString(3, account.organizationId());
            st.setLong(4, account.createdAt());
            st.setString(5, account.name());
            st.executeUpdate();
          }
          insertMember(
              c, account.organizationId(), account.id(), account.role(), account.createdAt());
          return null;
        });
  }

  @Override
  public List<ServiceAccount> serviceAccounts(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT u.id, u.name, m.role, m.added_at FROM memberships m"
                      + " JOIN users u ON u.id = m.user_id WHERE m.organization_id = ?"
                      + " AND u.kind = 'service_account' ORDER BY u.name, u.id")) {
            st.setString(1, organizationId);
            var list = new ArrayList<ServiceAccount>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                list.add(
                    new ServiceAccount(
                        rs.getString(1),
                        organizationId,
                        rs.getString(2),
                        Role.valueOf(rs.getString(3)),
                        rs.getLong(4)));
              }
            }
            return list;
          }
        });
  }

  @Override
  public boolean deleteServiceAccount(String organizationId, String id, long nowSeconds) {
    return jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          var current = roleOf(c, organizationId, id);
          if (current.isEmpty() || !ServiceAccount.isServiceAccount(id)) {
            return false;
          }
          if (current.get() == Role.OWNER && owners(c, organizationId) <= 1) {
            throw ConflictException.lastOwner();
          }
          try (var st =
              c.prepareStatement(
                  "DELETE FROM memberships WHERE organization_id = ? AND user_id = ?")) {
            st.setString(1, organizationId);
            st.setString(2, id);
            st.executeUpdate();
          }
          try (var st =
              c.prepareStatement(
                  "UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0")) {
            st.setLong(1, nowSeconds);
            st.setString(2, id);
            st.executeUpdate();
          }
          return true;
        });
  }

  @Override
  public Optional<ModerationPolicy> moderationPolicy(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          try (var st =
              c.prepareStatement(
                  "SELECT screen_input, screen_output FROM moderation_policies"
                      + " WHERE organization_id = ?")) {
            st.setString(1, organizationId);
            try (var rs = st.executeQuery()) {
              return rs.next()
                  ? Optional.of(new ModerationPolicy(rs.getBoolean(1), rs.getBoolean(2)))
                  : Optional.<ModerationPolicy>empty();
            }
          }
        });
  }

  @Override
  public void setModerationPolicy(String organizationId, ModerationPolicy policy, long nowSeconds) {
    jdbc.inTransaction(
        c -> {
          lockOrganization(c, organizationId);
          try (var st =
              c.prepareStatement("DELETE FROM moderation_policies WHERE organization_id = ?")) {
            st.setString(1, organizationId);
            st.executeUpdate();
          }
          try (var st =
              c.prepareStatement(
                  "INSERT INTO moderation_policies (organization_id, screen_input, screen_output,"
                      + " updated_at) VALUES (?, ?, ?, ?)")) {
            st.setString(1, organizationId);
            st.setBoolean(2, policy.screenInput());
            st.setBoolean(3, policy.screenOutput());
            st.setLong(4, nowSeconds);
            st.executeUpdate();
          }
          return null;
        });
  }

  private static Optional<BootstrapOwner> bootstrapRow(Connection c) throws SQLException {
    try (var st =
            c.prepareStatement("SELECT organization_id, user_id FROM bootstrap WHERE id = 1");
        var rs = st.executeQuery()) {
      return rs.next()
          ? Optional.of(new BootstrapOwner(rs.getString(1), rs.getString(2)))
          : Optional.empty();
    }
  }
}
