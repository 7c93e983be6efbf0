/**
 * Helper rules every Weft service starts from: each service spreads these into its own defaults
 * and writes its actions in terms of them (`'image:get_image': 'rule:admin_or_reader_owner'`), so
 * an operator who overrides, say, `owner` changes it for every action of that service at once.
 *
 * Roles follow Keystone's default hierarchy (admin > member > reader); the hierarchy is spelled
 * out in the rules rather than implied, because Weft tokens carry the roles as assigned.
 */
export const BASE_RULES: Readonly<Record<string, string>> = Object.freeze({
  admin_required: 'role:admin',
  member_or_admin: 'role:member or role:admin',
  reader_or_above: 'role:reader or role:member or role:admin',
  owner: 'project_id:%(project_id)s',
  admin_or_owner: 'rule:admin_required or rule:owner',
  admin_or_member_owner: 'rule:admin_required or (rule:owner and (role:member))',
  admin_or_reader_owner: 'rule:admin_required or (rule:owner and rule:reader_or_above)',
});
