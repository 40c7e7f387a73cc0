export {
  type BasicOptions,
  type BasicUser,
  basic,
  type HashPasswordOptions,
  hashPassword,
} from './basic.js'
