/**
 * The IAM actions the deployer's principals need, by service: deploy/iam/*.json are written from these
 * and unit tests check the two agree (test/unit/deploy).
 */
/** The IAM actions the deployer's own principal needs (deploy/ turns them into its policy). */
export const DEPLOYER_IAM_ACTIONS = {
  s3: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload'],
  lambda: [
    'lambda:GetFunction',
    'lambda:ListTags',
    'lambda:CreateFunction',
    'lambda:UpdateFunctionCode',
    'lambda:UpdateFunctionConfiguration',
    'lambda:TagResource',
    'lambda:UntagResource',
    'lambda:PutFunctionConcurrency',
    'lambda:DeleteFunctionConcurrency',
    /** prune: retiring a version's functions (tag-conditioned like every other write) */
    'lambda:DeleteFunction',
  ],
  /** account-level reads (no resource type: "*"); ListFunctions: prune's staged-code sweep */
  lambdaAccount: ['lambda:GetAccountSettings', 'lambda:ListFunctions'],
  iam: [
    'iam:GetRole',
    'iam:CreateRole',
    'iam:PassRole',
    'iam:AttachRolePolicy',
    'iam:DetachRolePolicy',
    'iam:ListAttachedRolePolicies',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:CreatePolicy',
    'iam:GetGroup',
    'iam:CreateGroup',
    'iam:AttachGroupPolicy',
    'iam:ListAttachedGroupPolicies',
    // creating the role / policy with tags needs these too; `adopt` tags upstream's with them
    'iam:TagRole',
    'iam:TagPolicy',
  ],
  /** the cross-account release bucket's role (APPS_DEPLOYER_RELEASE_ROLE_ARN) */
  sts: ['sts:AssumeRole'],
  logs: ['logs:DescribeLogGroups', 'logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
  /** Lambda checks that the caller may describe the VPC it puts a function in (VpcConfig); these
   * actions support no resource-level permissions, hence "*" (reads only) */
  ec2: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
} as const;

/**
 * What `adopt` needs beyond DEPLOYER_IAM_ACTIONS: exactly the actions of deploy/iam/adoption-policy.json,
 * an optional policy attached for the one-time adoption and removed afterwards. `adoptionOnly` are the
 * actions no other command sends (a unit test checks the deployer's policy never holds them).
 */
export const ADOPTION_IAM_ACTIONS = {
  /** no resource type: "*" */
  lambdaAccount: ['lambda:ListFunctions'],
  /** any function of the account (the execute role's, whatever their name) */
  lambdaRead: ['lambda:GetFunction', 'lambda:ListTags'],
  /** only functions without a managed-by tag, only with the full tag set */
  lambdaTag: ['lambda:TagResource'],
  /** upstream's invoke policy, only while it carries no managed-by tag */
  iam: ['iam:ListPolicyVersions', 'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion'],
  // (lambda:ListFunctions is also the deployer's: prune keeps staged code any function uses)
  adoptionOnly: ['iam:ListPolicyVersions', 'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion'],
} as const;
